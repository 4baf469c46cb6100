"""Writes to call sessions and their status history.

Every path that schedules, places or updates a call — admin actions, API
views, Celery tasks, the webhook, management commands — calls a function
here. The rules they keep:

* A session's status only moves forward (``CALL_STATUS_RANK``); a late or
  repeated callback never moves a finished call back. Every row change
  happens under ``select_for_update`` on the session.
* Each status is recorded once per call. Callbacks for one call serialise
  on the session's row lock; the unique (call_session, status) constraint
  is the last word even so, written as ``INSERT IGNORE`` so a losing insert
  neither adds a row nor aborts the transaction (one round trip, where
  catching ``IntegrityError`` would need a savepoint and two more).
* A session stays ``scheduled`` until the provider has accepted it; the
  ``dispatch_claimed_until`` lease stops two workers dialling it at once.
* A call that reached the provider and finished writes exactly one
  CommunicationLog (``debts.services.communication_log_create``), which also
  moves the customer's ``last_contact_date``.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

from calls.calling_hours import local_day_start, next_calling_time
from calls.choices import CALL_STATUS_RANK, FINAL_CALL_STATUSES, CallStatus, TelephonyProvider
from calls.models import CallSession, CallStatusUpdate, UnmatchedCallback
from calls.telephony import (
    PlaceCallRequest,
    ProviderCallNotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    get_provider,
)
from calls.telephony.exotel import CallbackEvent, flatten_form, parse_status_callback
from core.phones import try_normalize_phone
from core.tasks import enqueue_on_commit

log = logging.getLogger("calls")

OPEN_CALL_STATUSES = frozenset({CallStatus.SCHEDULED, CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS})
# How long a worker may take to place one call before another may try.
DISPATCH_CLAIM_SECONDS = 120
# Provider requests per session before it is given up as failed.
MAX_PLACE_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX_SECONDS = 900
# When the shared rate limit is empty, a worker waits this long for a token
# before handing the session back to the dispatcher.
RATE_LIMIT_MAX_WAIT_SECONDS = 5.0
# Largest batch one request may schedule.
MAX_BATCH_SIZE = 5000


class CallNotAllowed(Exception):
    """This customer may not be called now (do-not-call, bad number, a call
    already open…); the message says why and is shown to the user."""


@dataclass(frozen=True)
class DispatchResult:
    session_id: int
    outcome: str  # initiated | deferred | failed | canceled | skipped
    retry_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class CallbackResult:
    outcome: str  # applied | duplicate | late | unmatched
    session_id: int | None = None
    status: str = ""


@dataclass(frozen=True)
class CallTarget:
    customer_id: int
    debt_id: int | None = None
    row_id: int | None = None


@dataclass
class BatchResult:
    created: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def webhook_url() -> str:
    """The StatusCallback URL Exotel is given (reachable via PUBLIC_BASE_URL)."""
    path = reverse("api:call-webhook-exotel")
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}?{urlencode({'token': settings.EXOTEL_WEBHOOK_TOKEN})}"


# ---------------------------------------------------------------------------
# Scheduling


@transaction.atomic
def call_session_create(
    *,
    customer_id: int,
    debt_id: int | None = None,
    agent_number: str = "",
    triggered_by=None,
    triggered_by_batch_id: int | None = None,
    triggered_by_row_id: int | None = None,
    now: datetime | None = None,
    dispatch: bool = True,
) -> CallSession:
    """Schedule a call to a customer and, inside calling hours, enqueue it.

    Raises ``CallNotAllowed`` for a do-not-call customer, a number that
    cannot be dialled, a debt of someone else, or a customer who already has
    a call scheduled or in progress (so a double click or a repeated batch
    does not ring anyone twice).
    """
    from customers.models import Customer
    from debts.models import Debt

    now = now or timezone.now()
    # Locking the customer serialises two requests for the same person, so
    # the "already has an open call" check below cannot be raced.
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise CallNotAllowed(f"Customer #{customer_id} does not exist.")
    if customer.do_not_call:
        raise CallNotAllowed(f"{customer.full_name} is marked do-not-call.")
    phone = try_normalize_phone(customer.primary_phone, customer.country or None)
    if not phone:
        raise CallNotAllowed(f"{customer.full_name}'s phone number {customer.primary_phone!r} cannot be dialled.")
    if debt_id is not None and not Debt.objects.filter(pk=debt_id, customer_id=customer_id).exists():
        raise CallNotAllowed(f"Debt #{debt_id} is not a debt of customer #{customer_id}.")
    agent = ""
    if agent_number:
        agent = try_normalize_phone(agent_number) or ""
        if not agent:
            raise CallNotAllowed(f"Agent number {agent_number!r} is not a valid phone number.")
    open_call = CallSession.objects.filter(customer_id=customer_id, status__in=OPEN_CALL_STATUSES).only("id", "status").first()
    if open_call is not None:
        raise CallNotAllowed(f"{customer.full_name} already has call #{open_call.pk} ({open_call.status}).")

    when = next_calling_time(tz_name=customer.timezone, now=now)
    session = CallSession.objects.create(
        customer=customer,
        debt_id=debt_id,
        provider=settings.TELEPHONY_PROVIDER,
        to_number=phone,
        from_number=agent or settings.EXOTEL_CALLER_ID,
        status=CallStatus.SCHEDULED,
        scheduled_for=when,
        triggered_by=triggered_by if getattr(triggered_by, "pk", None) else None,
        triggered_by_batch_id=triggered_by_batch_id,
        triggered_by_row_id=triggered_by_row_id,
        call_metadata={"agent_number": agent} if agent else {},
    )
    who = triggered_by.get_username() if getattr(triggered_by, "pk", None) else "system"
    message = f"Scheduled by {who}"
    if when > now:
        message += f"; outside calling hours, waits until {timezone.localtime(when, when.tzinfo):%Y-%m-%d %H:%M %Z}"
    CallStatusUpdate.objects.create(call_session=session, status=CallStatus.SCHEDULED, timestamp=now, message=message)
    if dispatch and when <= now:
        from calls.tasks import dispatch_call

        # Broker down: the call stays scheduled and dispatch_scheduled_calls
        # (every minute on beat) places it once the queue is back.
        enqueue_on_commit(dispatch_call, session.pk)
    return session


def call_sessions_create_batch(
    *,
    targets: list[CallTarget],
    triggered_by=None,
    triggered_by_batch_id: int | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """Schedule one call per customer among ``targets`` (first target of a
    customer wins); skipped targets come back with the reason.

    Each session is its own transaction: one bad row does not undo the rest
    of a large upload. The dispatcher is woken once at the end and places
    the calls at the shared rate limit.
    """
    if len(targets) > MAX_BATCH_SIZE:
        raise CallNotAllowed(f"A batch may hold at most {MAX_BATCH_SIZE} calls; this one has {len(targets)}.")
    result = BatchResult()
    seen: set[int] = set()
    for target in targets:
        if target.customer_id in seen:
            result.skipped.append({"customer": target.customer_id, "row": target.row_id, "reason": "customer already in this batch"})
            continue
        seen.add(target.customer_id)
        try:
            session = call_session_create(
                customer_id=target.customer_id,
                debt_id=target.debt_id,
                triggered_by=triggered_by,
                triggered_by_batch_id=triggered_by_batch_id,
                triggered_by_row_id=target.row_id,
                now=now,
                dispatch=False,
            )
        except CallNotAllowed as exc:
            result.skipped.append({"customer": target.customer_id, "row": target.row_id, "reason": str(exc)})
            continue
        result.created.append(session.pk)
    if result.created:
        from calls.tasks import dispatch_scheduled_calls

        enqueue_on_commit(dispatch_scheduled_calls)
    return result


def call_sessions_create_for_upload(
    *, upload_id: int, row_ids: list[int] | None = None, triggered_by=None, now: datetime | None = None
) -> BatchResult:
    """Schedule calls for an upload's rows (all, or ``row_ids``), each
    session remembering the upload and the row that caused it."""
    from uploads.models import FileUpload, UploadRow

    if not FileUpload.objects.filter(pk=upload_id).exists():
        raise CallNotAllowed(f"Upload #{upload_id} does not exist.")
    rows = UploadRow.objects.filter(file_upload_id=upload_id).order_by("line_number")
    if row_ids is not None:
        rows = rows.filter(pk__in=row_ids)
    targets, unmatched = [], []
    for row_id, customer_id, debt_id in rows.values_list("id", "matched_customer_id", "matched_debt_id")[: MAX_BATCH_SIZE + 1]:
        if customer_id is None:
            unmatched.append({"customer": None, "row": row_id, "reason": "row matched no customer"})
        else:
            targets.append(CallTarget(customer_id=customer_id, debt_id=debt_id, row_id=row_id))
    result = call_sessions_create_batch(targets=targets, triggered_by=triggered_by, triggered_by_batch_id=upload_id, now=now)
    result.skipped = unmatched + result.skipped
    return result


@transaction.atomic
def call_session_cancel(*, session_id: int, reason: str, user=None, now: datetime | None = None) -> CallSession:
    """Cancel a call that has not reached the provider yet."""
    now = now or timezone.now()
    session = CallSession.objects.select_for_update().get(pk=session_id)
    if session.status != CallStatus.SCHEDULED:
        raise CallNotAllowed(f"Call #{session.pk} is {session.status}; only a scheduled call can be canceled.")
    who = user.get_username() if getattr(user, "pk", None) else "system"
    _apply_event(session, status=CallStatus.CANCELED, occurred_at=now, message=f"Canceled by {who}: {reason}")
    return session


# ---------------------------------------------------------------------------
# Placing calls


def _backoff_seconds(attempt: int) -> float:
    # Exponential with jitter so a provider outage does not end in every
    # deferred call retrying in the same second.
    base = min(BACKOFF_BASE_SECONDS * (2 ** max(attempt - 1, 0)), BACKOFF_MAX_SECONDS)
    return base * random.uniform(0.8, 1.2)


def call_session_dispatch(*, session_id: int, now: datetime | None = None, provider=None, limiter=None) -> DispatchResult:
    """Place a scheduled call through the provider, if it may go now.

    Checks, in order: still scheduled and due; do-not-call (cancels);
    calling hours in the customer's timezone and the daily attempt cap
    (both defer to the next window); the shared rate limit (defers by the
    wait). Then asks the provider. A 429 defers by ``Retry-After``; a 5xx,
    timeout or connection error defers with exponential backoff; after
    ``MAX_PLACE_ATTEMPTS`` requests, or on any other 4xx, the session fails
    with the provider's message and is not retried.
    """
    from customers.models import Customer

    fixed_now = now

    def clock() -> datetime:
        # Tests and replays pass ``now``; otherwise the time after the
        # network round trip, not before it.
        return fixed_now or timezone.now()

    now = clock()
    # 1. Claim the session (short transaction: no network inside it).
    with transaction.atomic():
        session = CallSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return DispatchResult(session_id, "skipped", detail="no such call")
        if session.status != CallStatus.SCHEDULED:
            return DispatchResult(session_id, "skipped", detail=f"call is {session.status}")
        if session.scheduled_for and session.scheduled_for > now:
            return DispatchResult(session_id, "deferred", retry_at=session.scheduled_for, detail="not due yet")
        if session.dispatch_claimed_until and session.dispatch_claimed_until > now:
            return DispatchResult(session_id, "skipped", detail="another worker is placing this call")
        customer = Customer.objects.only("id", "do_not_call", "timezone", "full_name").get(pk=session.customer_id)
        if customer.do_not_call:
            _apply_event(session, status=CallStatus.CANCELED, occurred_at=now, message="Canceled: customer is marked do-not-call")
            return DispatchResult(session_id, "canceled", detail="do-not-call")
        when = next_calling_time(tz_name=customer.timezone, now=now)
        if when > now:
            _defer(session, when, "Waiting for calling hours")
            return DispatchResult(session_id, "deferred", retry_at=when, detail="outside calling hours")
        day_start = local_day_start(tz_name=customer.timezone, now=now)
        attempts_today = CallSession.objects.filter(customer_id=customer.pk, initiated_at__gte=day_start).count()
        if attempts_today >= settings.CALLS_MAX_ATTEMPTS_PER_DAY:
            tomorrow = next_calling_time(tz_name=customer.timezone, now=day_start + timedelta(days=1))
            _defer(session, tomorrow, f"Daily cap of {settings.CALLS_MAX_ATTEMPTS_PER_DAY} calls reached")
            return DispatchResult(session_id, "deferred", retry_at=tomorrow, detail="daily attempt cap")
        session.dispatch_claimed_until = now + timedelta(seconds=DISPATCH_CLAIM_SECONDS)
        session.save(update_fields=["dispatch_claimed_until", "updated_at"])

    # 2. The shared rate limit.
    if limiter is None:
        from calls.ratelimit import get_call_limiter

        limiter = get_call_limiter()
    try:
        wait = limiter.acquire(max_wait=RATE_LIMIT_MAX_WAIT_SECONDS)
    except Exception as exc:  # Redis down: every worker falling back to its own bucket would overrun the provider
        log.error("call %s: rate limiter unavailable (%s); deferring", session_id, exc)
        wait = 30.0
    if wait:
        retry_at = clock() + timedelta(seconds=wait)
        with transaction.atomic():
            session = CallSession.objects.select_for_update().get(pk=session_id)
            _defer(session, retry_at, "", keep_error=True)
        return DispatchResult(session_id, "deferred", retry_at=retry_at, detail="rate limit")

    # 3. Ask the provider (outside any transaction).
    provider = provider or get_provider(session.provider)
    request = PlaceCallRequest(
        session_id=session.pk,
        customer_number=session.to_number,
        agent_number=(session.call_metadata or {}).get("agent_number", ""),
        status_callback_url=webhook_url(),
    )
    try:
        placed = provider.place_call(request)
    except ProviderRejected as exc:
        with transaction.atomic():
            session = CallSession.objects.select_for_update().get(pk=session_id)
            session.attempt_count += 1
            session.error_message = str(exc)[:2000]
            session.provider_data = {**(session.provider_data or {}), "connect_error": {"status": exc.status_code, "body": exc.body}}
            _apply_event(session, status=CallStatus.FAILED, occurred_at=clock(), message=f"Provider refused the call: {exc}")
        log.warning("call %s refused by provider: %s", session_id, exc)
        return DispatchResult(session_id, "failed", detail=str(exc))
    except (ProviderRateLimited, ProviderUnavailable) as exc:
        with transaction.atomic():
            session = CallSession.objects.select_for_update().get(pk=session_id)
            session.attempt_count += 1
            if session.attempt_count >= MAX_PLACE_ATTEMPTS:
                session.error_message = f"Gave up after {session.attempt_count} attempts: {exc}"[:2000]
                _apply_event(session, status=CallStatus.FAILED, occurred_at=clock(), message=session.error_message)
                log.error("call %s failed after %s attempts: %s", session_id, session.attempt_count, exc)
                return DispatchResult(session_id, "failed", detail=str(exc))
            if isinstance(exc, ProviderRateLimited) and exc.retry_after is not None:
                delay = exc.retry_after
            else:
                delay = _backoff_seconds(session.attempt_count)
            retry_at = clock() + timedelta(seconds=delay)
            session.error_message = f"Attempt {session.attempt_count}: {exc}"[:2000]
            _defer(session, retry_at, "", keep_error=True)
        log.info("call %s deferred %.0fs after attempt %s: %s", session_id, delay, session.attempt_count, exc)
        return DispatchResult(session_id, "deferred", retry_at=retry_at, detail=str(exc))

    # 4. Store the provider's call id.
    with transaction.atomic():
        session = CallSession.objects.select_for_update().get(pk=session_id)
        session.attempt_count += 1
        session.dispatch_claimed_until = None
        session.error_message = ""
        if session.call_sid and session.call_sid != placed.call_sid:
            # A callback carrying our CustomField adopted an earlier attempt's
            # call (a timed-out request that Exotel did place): keep that one.
            log.warning("call %s: provider placed %s but %s already adopted", session_id, placed.call_sid, session.call_sid)
        else:
            session.call_sid = placed.call_sid
        session.initiated_at = session.initiated_at or clock()
        session.provider_data = {**(session.provider_data or {}), "connect": placed.raw}
        session.save(update_fields=["attempt_count", "dispatch_claimed_until", "error_message", "call_sid", "initiated_at", "provider_data", "updated_at"])
        _apply_event(session, status=CallStatus.INITIATED, occurred_at=session.initiated_at, message=f"{provider.name} accepted the call ({placed.status})")
        _replay_unmatched(session)
        stored_sid = session.call_sid
        transaction.on_commit(lambda: provider.after_call_stored(session_id=session_id, call_sid=stored_sid))
    return DispatchResult(session_id, "initiated", detail=stored_sid)


def _defer(session: CallSession, retry_at: datetime, reason: str, *, keep_error: bool = False) -> None:
    session.scheduled_for = retry_at
    session.dispatch_claimed_until = None
    if not keep_error:
        session.error_message = reason
    session.save(update_fields=["scheduled_for", "dispatch_claimed_until", "error_message", "attempt_count", "updated_at"])


# ---------------------------------------------------------------------------
# Status updates (webhook, simulator, reconciliation)


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

    session.status = status
    fields = {"status", "updated_at"}
    if payload:
        callbacks = dict((session.provider_data or {}).get("callbacks") or {})
        callbacks[status] = payload
        session.provider_data = {**(session.provider_data or {}), "callbacks": callbacks}
        fields.add("provider_data")
    if new_rank >= CALL_STATUS_RANK[CallStatus.INITIATED] and session.call_sid and not session.initiated_at:
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
    if status in FINAL_CALL_STATUSES and session.call_sid:
        _write_communication_log(session)
    return "applied"


def _write_communication_log(session: CallSession) -> None:
    from debts.choices import CommunicationDirection, CommunicationOutcome, CommunicationType
    from debts.services import communication_log_create

    outcome = {
        CallStatus.COMPLETED: CommunicationOutcome.CONNECTED,
        CallStatus.BUSY: CommunicationOutcome.BUSY,
        CallStatus.NO_ANSWER: CommunicationOutcome.NO_ANSWER,
        CallStatus.FAILED: CommunicationOutcome.FAILED,
        CallStatus.CANCELED: CommunicationOutcome.CANCELED,
    }[session.status]
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
        outcome=outcome,
        notes=f"{session.get_provider_display()} call {session.call_sid}: {session.get_status_display()}",
        agent_id="" if user else session.provider,
        agent_user=user,
    )


def _with_deadlock_retry(fn, attempts: int = 3):
    # Two calls of one customer finishing at the same instant both update
    # that customer's row; InnoDB may pick one as a deadlock victim. The
    # whole transaction is safe to run again.
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if attempt == attempts - 1 or not exc.args or exc.args[0] not in (1213, 1205):
                raise
            log.info("deadlock applying a callback, retrying: %s", exc)


def call_callback_receive(*, payload, provider: str = TelephonyProvider.EXOTEL) -> CallbackResult:
    """Apply one status callback (a form body, flattened or not).

    Raises ``MalformedCallback`` when the body is not a callback we can act
    on. A callback for a CallSid we do not know is stored as an
    UnmatchedCallback for reconciliation, never dropped.
    """
    data = flatten_form(payload)
    event = parse_status_callback(data)
    return _with_deadlock_retry(lambda: _callback_apply(event, provider))


@transaction.atomic
def _callback_apply(event: CallbackEvent, provider: str) -> CallbackResult:
    session = CallSession.objects.select_for_update().filter(call_sid=event.call_sid).first()
    if session is None and event.custom_field.isdigit():
        # Exotel can call back before our request to place the call has
        # stored the sid (or after it timed out on our side): CustomField is
        # our session id.
        candidate = CallSession.objects.select_for_update().filter(pk=int(event.custom_field)).first()
        if candidate is not None and candidate.call_sid in (None, "", event.call_sid):
            if candidate.call_sid != event.call_sid:
                candidate.call_sid = event.call_sid
                candidate.save(update_fields=["call_sid", "updated_at"])
            session = candidate
    if session is None:
        exists = UnmatchedCallback.objects.filter(
            call_sid=event.call_sid, status=event.provider_status, reconciled_at__isnull=True
        ).exists()
        if not exists:
            UnmatchedCallback.objects.create(provider=provider, call_sid=event.call_sid, status=event.provider_status, payload=event.payload)
        log.warning("callback for unknown CallSid %s (%s) stored for reconciliation", event.call_sid, event.provider_status)
        return CallbackResult("unmatched", None, event.provider_status)
    outcome = _apply_event(
        session,
        status=event.status,
        occurred_at=event.occurred_at or timezone.now(),
        message=_event_message(event),
        payload=event.payload,
        duration_seconds=event.duration_seconds,
        recording_url=event.recording_url,
    )
    return CallbackResult(outcome, session.pk, session.status)


def _event_message(event: CallbackEvent) -> str:
    source = event.payload.get("Source") or "callback"
    text = f"{source}: {event.provider_status}"
    if event.event_type:
        text += f" ({event.event_type})"
    if event.duration_seconds is not None:
        text += f", {event.duration_seconds}s"
    return text


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
        _apply_event(
            session,
            status=event.status,
            occurred_at=event.occurred_at or row.received_at,
            message=_event_message(event) + " (replayed)",
            payload=event.payload,
            duration_seconds=event.duration_seconds,
            recording_url=event.recording_url,
        )
        row.reconciled_at = now
        row.reconciled_session = session
        row.save(update_fields=["reconciled_at", "reconciled_session"])
    return len(rows)


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
        return _apply_event(
            locked,
            status=event.status,
            occurred_at=event.occurred_at or timezone.now(),
            message=_event_message(event),
            payload=event.payload,
            duration_seconds=event.duration_seconds,
            recording_url=event.recording_url,
        )
