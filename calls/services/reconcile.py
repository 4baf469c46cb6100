"""Catching up on callbacks that came early, late or never: stored
unknown-CallSid callbacks applied once the sid is known, unknown sids
confirmed with the provider before they bind to a session, and the
provider's call-details API asked about calls whose callbacks were lost.

An unknown CallSid is never bound to a session because its callback names
the session in ``CustomField``: anyone who has the webhook URL can write
that. It binds when the session learns the sid from the provider's answer
to our own connect request (``dispatch._store_placed`` replays it), or when
the provider, asked about that sid with our credentials, describes a call
to this session's customer placed after the session was scheduled.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from calls.choices import FINAL_CALL_STATUSES, CallStatus
from calls.models import CallSession, UnmatchedCallback
from calls.services.events import _apply_callback_event, _apply_event, _replay_unmatched
from calls.services.sessions import number_key
from calls.telephony import ProviderCallNotFound, ProviderError, get_provider
from calls.telephony.exotel import MalformedCallback, parse_exotel_datetime, parse_status_callback

log = logging.getLogger("calls")

# Unknown sids are asked about for this long after their first callback
# (a lost connect answer is found within minutes), at most once per
# CONFIRM_RECHECK_AFTER, so a stream of forged callbacks cannot turn into a
# stream of provider requests.
CONFIRM_WINDOW = timedelta(days=1)
CONFIRM_RECHECK_AFTER = timedelta(minutes=5)
# Exotel's DateCreated against our created_at: clocks and time zones of two systems.
CONFIRM_CLOCK_SKEW = timedelta(minutes=5)


def unmatched_callbacks_reconcile(*, limit: int = 500, provider=None) -> int:
    """Apply stored unknown-CallSid callbacks: those whose sid a session now
    knows, and those the provider confirms (``unmatched_callback_confirm``).
    Returns how many callbacks were applied or bound."""
    sids = list(
        UnmatchedCallback.objects.filter(reconciled_at__isnull=True).order_by("id").values_list("call_sid", flat=True).distinct()[:limit]
    )
    applied = 0
    for sid in CallSession.objects.filter(call_sid__in=sids).values_list("call_sid", flat=True):
        with transaction.atomic():
            session = CallSession.objects.select_for_update().get(call_sid=sid)
            applied += _replay_unmatched(session)
    now = timezone.now()
    to_confirm = (
        UnmatchedCallback.objects.filter(reconciled_at__isnull=True, received_at__gte=now - CONFIRM_WINDOW)
        .exclude(checked_at__gte=now - CONFIRM_RECHECK_AFTER)
        .order_by("id")
        .values_list("id", "call_sid")[:limit]
    )
    asked: set[str] = set()
    for callback_id, sid in list(to_confirm):
        if sid in asked:
            continue  # one question per sid per run; its other rows are bound with it
        asked.add(sid)
        if unmatched_callback_confirm(callback_id=callback_id, provider=provider) == "bound":
            applied += 1
    return applied


def _custom_field_session_id(payload: dict) -> int | None:
    value = str(payload.get("CustomField") or "").strip()
    return int(value) if value.isdigit() else None


def _provider_disagrees(details: dict, session: CallSession) -> str:
    """Why the provider's record of a call is not this session's call ("" when it is)."""
    numbers = {number_key(str(details.get(k) or "")) for k in ("From", "To")} - {""}
    if number_key(session.to_number) not in numbers:
        return "the provider's call is not to this session's customer"
    custom = str(details.get("CustomField") or "").strip()
    if custom and custom != str(session.pk):
        return f"the provider's call carries CustomField {custom!r}, not this session"
    created = str(details.get("DateCreated") or "").strip()
    if not created:
        return "the provider's record has no DateCreated"
    try:
        placed_at = parse_exotel_datetime(created)
    except MalformedCallback:
        return f"the provider's DateCreated {created!r} is not a date"
    if placed_at < session.created_at - CONFIRM_CLOCK_SKEW:
        return "the provider's call was placed before this session was scheduled"
    return ""


def _note_check(callback_id: int, result: str) -> None:
    UnmatchedCallback.objects.filter(pk=callback_id).update(checked_at=timezone.now(), check_result=result[:300])


def unmatched_callback_confirm(*, callback_id: int, provider=None) -> str:
    """Ask the provider about a stored unknown-CallSid callback whose
    CustomField names a session still without a sid, and bind the sid to
    that session only if the provider's record matches it.

    Returns ``bound``, ``unconfirmed`` (the provider's call is another
    call), ``not_found`` (the provider has no such call), ``error`` (the
    provider could not be asked; tried again later) or ``skipped``
    (nothing to confirm). On ``bound`` the session is moved by what the
    provider says, not by what the stored callbacks claim, and every
    stored callback of that sid is marked reconciled.
    """
    row = UnmatchedCallback.objects.filter(pk=callback_id, reconciled_at__isnull=True).first()
    if row is None:
        return "skipped"
    session_id = _custom_field_session_id(row.payload)
    session = CallSession.objects.filter(pk=session_id).first() if session_id else None
    if session is None or session.call_sid:
        # No session named, or it already has its call: only the provider's
        # answer to our connect request may give a session its sid.
        _note_check(row.pk, "no session awaiting a call sid is named by CustomField")
        return "skipped"
    provider = provider or get_provider(session.provider)
    try:
        details = provider.fetch_call(row.call_sid)
    except ProviderCallNotFound as exc:
        _note_check(row.pk, f"not confirmed: the provider has no call {row.call_sid} ({exc})")
        log.warning("unmatched callback %s: provider has no call %s; left unmatched", row.pk, row.call_sid)
        return "not_found"
    except ProviderError as exc:
        _note_check(row.pk, f"provider could not be asked: {exc}")
        return "error"
    reason = _provider_disagrees(details.payload, session)
    if reason:
        _note_check(row.pk, f"not confirmed: {reason}")
        log.warning("unmatched callback %s (sid %s) not bound to call %s: %s", row.pk, row.call_sid, session.pk, reason)
        return "unconfirmed"
    try:
        event = parse_status_callback(details.payload)
    except MalformedCallback as exc:
        _note_check(row.pk, f"not confirmed: the provider's record cannot be read ({exc})")
        return "unconfirmed"
    with transaction.atomic():
        locked = CallSession.objects.select_for_update().get(pk=session.pk)
        if locked.call_sid or CallSession.objects.filter(call_sid=row.call_sid).exists():
            return "skipped"  # our connect answer arrived meanwhile
        locked.call_sid = row.call_sid
        locked.provider_data = {**(locked.provider_data or {}), "confirmed_by_provider": details.payload}
        locked.save(update_fields=["call_sid", "provider_data", "updated_at"])
        _apply_callback_event(locked, event, suffix=" (unknown sid confirmed by the provider)")
        now = timezone.now()
        UnmatchedCallback.objects.filter(call_sid=row.call_sid, reconciled_at__isnull=True).update(
            reconciled_at=now, reconciled_session=locked, checked_at=now, check_result=f"confirmed by the provider: call #{locked.pk}"
        )
    log.info("unknown sid %s confirmed by the provider and bound to call %s", row.call_sid, session.pk)
    return "bound"


def call_session_reconcile(*, session_id: int, provider=None) -> str:
    """Ask the provider's call-details API about a call whose callbacks are
    late or lost, and apply what it says. Returns what happened."""
    session = CallSession.objects.filter(pk=session_id).only("id", "call_sid", "status", "provider").first()
    if session is None or not session.call_sid or session.status in FINAL_CALL_STATUSES:
        return "skipped"
    provider = provider or get_provider(session.provider)
    try:
        details = provider.fetch_call(session.call_sid)
    except ProviderCallNotFound as exc:
        with transaction.atomic():
            locked = CallSession.objects.select_for_update().get(pk=session_id)
            locked.error_message = f"Provider has no record of this call: {exc}"[:2000]
            _apply_event(locked, status=CallStatus.FAILED, occurred_at=timezone.now(), message=locked.error_message)
        return "not_found"
    except ProviderError as exc:
        log.warning("reconciling call %s: %s", session_id, exc)
        return "error"
    event = parse_status_callback(details.payload)
    with transaction.atomic():
        locked = CallSession.objects.select_for_update().get(pk=session_id)
        return _apply_callback_event(locked, event)
