"""Recording a call's status: one CallStatusUpdate per status, the session
moved forward (never backward), and one CommunicationLog when a placed call
ends. Used by scheduling, dispatch, callbacks and reconciliation alike; the
caller always holds the session's row lock."""
from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from calls.choices import CALL_STATUS_RANK, FINAL_CALL_STATUSES, CallStatus
from calls.models import CallSession, CallStatusUpdate, UnmatchedCallback
from calls.telephony.exotel import CallbackEvent, parse_status_callback
from debts.choices import CommunicationDirection, CommunicationOutcome, CommunicationType
from debts.services import communication_log_create

log = logging.getLogger("calls")

_OUTCOME_OF_FINAL_STATUS = {
    CallStatus.COMPLETED: CommunicationOutcome.CONNECTED,
    CallStatus.BUSY: CommunicationOutcome.BUSY,
    CallStatus.NO_ANSWER: CommunicationOutcome.NO_ANSWER,
    CallStatus.FAILED: CommunicationOutcome.FAILED,
    CallStatus.CANCELED: CommunicationOutcome.CANCELED,
}


def _record_update(session: CallSession, *, status: str, occurred_at: datetime, message: str, payload: dict | None, known_new: bool = False) -> bool:
    """Append one CallStatusUpdate; False if this status is already recorded.

    Callers hold the session's row lock, so the existence check cannot be
    raced by our own writers; ``known_new`` skips it when the status is
    further along than the session has ever been (the common case). The
    unique (call_session, status) constraint stays the last word: the
    insert is ``INSERT IGNORE`` / ``ON CONFLICT DO NOTHING``, so even a
    writer that did not lock cannot add a second row or break this
    transaction.
    """
    if not known_new and CallStatusUpdate.objects.filter(call_session_id=session.pk, status=status).exists():
        return False
    CallStatusUpdate.objects.bulk_create(
        [CallStatusUpdate(call_session=session, status=status, timestamp=occurred_at, message=message[:2000], extra_data=payload or {})],
        ignore_conflicts=True,
    )
    return True


def _apply_event(
    session: CallSession,
    *,
    status: str,
    occurred_at: datetime,
    message: str = "",
    payload: dict | None = None,
    duration_seconds: int | None = None,
    recording_url: str = "",
) -> str:
    """Record ``status`` on a session locked by the caller and move it forward.

    Returns ``applied`` (moved), ``late`` (recorded, but the call is already
    further along) or ``duplicate`` (nothing new).
    """
    current_rank = CALL_STATUS_RANK[session.status]
    new_rank = CALL_STATUS_RANK[status]
    if new_rank == current_rank and status != session.status:
        # Two different endings for one call (completed, then failed): a call
        # ends once, so the first ending stands.
        log.warning("call %s: ignoring %s, already %s", session.pk, status, session.status)
        return "duplicate"
    # A status further along than the session has been was never recorded:
    # every move forward records its status in the same transaction.
    recorded = _record_update(
        session, status=status, occurred_at=occurred_at, message=message, payload=payload, known_new=new_rank > current_rank
    )
    if new_rank <= current_rank:
        if status == session.status and recording_url and not session.recording_url:
            # Exotel repeats a terminal callback once the recording is ready.
            session.recording_url = recording_url
            session.save(update_fields=["recording_url", "updated_at"])
        return "late" if recorded else "duplicate"
    _move_forward(session, status=status, occurred_at=occurred_at, payload=payload, duration_seconds=duration_seconds, recording_url=recording_url)
    if status in FINAL_CALL_STATUSES and session.call_sid:
        _write_communication_log(session)
    return "applied"


def _move_forward(
    session: CallSession, *, status: str, occurred_at: datetime, payload: dict | None, duration_seconds: int | None, recording_url: str
) -> None:
    """Save ``session`` at ``status`` (further along than it was), with the times and call facts that status brings."""
    session.status = status
    fields = {"status", "updated_at"}
    if payload:
        callbacks = dict((session.provider_data or {}).get("callbacks") or {})
        callbacks[status] = payload
        session.provider_data = {**(session.provider_data or {}), "callbacks": callbacks}
        fields.add("provider_data")
    if CALL_STATUS_RANK[status] >= CALL_STATUS_RANK[CallStatus.INITIATED] and session.call_sid and not session.initiated_at:
        session.initiated_at = occurred_at
        fields.add("initiated_at")
    if status == CallStatus.IN_PROGRESS and not session.answered_at:
        session.answered_at = occurred_at
        fields.add("answered_at")
    if status in FINAL_CALL_STATUSES:
        session.ended_at = occurred_at
        session.dispatch_claimed_until = None
        if duration_seconds is not None:
            session.duration_seconds = duration_seconds
        elif status != CallStatus.COMPLETED:
            session.duration_seconds = 0
        if recording_url:
            session.recording_url = recording_url
        fields |= {"ended_at", "dispatch_claimed_until", "duration_seconds", "recording_url"}
    if session.call_sid:
        fields.add("call_sid")
    session.save(update_fields=sorted(fields | {"error_message", "attempt_count"}))


def _write_communication_log(session: CallSession) -> None:
    user = session.triggered_by if session.triggered_by_id else None
    communication_log_create(
        customer_id=session.customer_id,
        communication_type=CommunicationType.CALL,
        direction=CommunicationDirection.OUTBOUND,
        timestamp=session.ended_at,
        debt_id=session.debt_id,
        call_session_id=session.pk,
        duration_seconds=session.duration_seconds,
        contact_phone=session.to_number,
        outcome=_OUTCOME_OF_FINAL_STATUS[session.status],
        observed_outcome=True,
        notes=f"{session.get_provider_display()} call {session.call_sid}: {session.get_status_display()}",
        agent_id="" if user else session.provider,
        agent_user=user,
    )


def _event_message(event: CallbackEvent) -> str:
    source = event.payload.get("Source") or "callback"
    text = f"{source}: {event.provider_status}"
    if event.event_type:
        text += f" ({event.event_type})"
    if event.duration_seconds is not None:
        text += f", {event.duration_seconds}s"
    return text


def _apply_callback_event(session: CallSession, event: CallbackEvent, *, fallback_time: datetime | None = None, suffix: str = "") -> str:
    """``_apply_event`` for a provider callback (or call details shaped like one)."""
    return _apply_event(
        session,
        status=event.status,
        occurred_at=event.occurred_at or fallback_time or timezone.now(),
        message=_event_message(event) + suffix,
        payload=event.payload,
        duration_seconds=event.duration_seconds,
        recording_url=event.recording_url,
    )


def _replay_unmatched(session: CallSession) -> int:
    """Apply callbacks that arrived before we knew this session's sid."""
    rows = list(
        UnmatchedCallback.objects.select_for_update()
        .filter(call_sid=session.call_sid, reconciled_at__isnull=True)
        .order_by("received_at", "id")
    )
    now = timezone.now()
    for row in rows:
        try:
            event = parse_status_callback(row.payload)
        except ValueError:
            continue
        _apply_callback_event(session, event, fallback_time=row.received_at, suffix=" (replayed)")
        row.reconciled_at = now
        row.reconciled_session = session
        row.save(update_fields=["reconciled_at", "reconciled_session"])
    return len(rows)
