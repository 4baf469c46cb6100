"""Catching up on callbacks that came early, late or never: stored
unknown-CallSid callbacks applied once the sid is known, and the provider's
call-details API asked about calls whose callbacks were lost."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from calls.choices import FINAL_CALL_STATUSES, CallStatus
from calls.models import CallSession, UnmatchedCallback
from calls.services.events import _apply_callback_event, _apply_event, _replay_unmatched
from calls.telephony import ProviderCallNotFound, ProviderError, get_provider
from calls.telephony.exotel import parse_status_callback

log = logging.getLogger("calls")


def unmatched_callbacks_reconcile(*, limit: int = 500) -> int:
    """Match stored unknown-CallSid callbacks to sessions that now know
    that sid; returns how many callbacks were applied."""
    sids = list(
        UnmatchedCallback.objects.filter(reconciled_at__isnull=True).order_by("id").values_list("call_sid", flat=True).distinct()[:limit]
    )
    applied = 0
    for sid in CallSession.objects.filter(call_sid__in=sids).values_list("call_sid", flat=True):
        with transaction.atomic():
            session = CallSession.objects.select_for_update().get(call_sid=sid)
            applied += _replay_unmatched(session)
    return applied


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
