"""Scheduling calls: one customer, a batch, or an upload's rows; and
canceling a call that has not reached the provider yet."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calls.calling_hours import next_calling_time
from calls.choices import CallStatus
from calls.models import CallSession, CallStatusUpdate
from calls.services.events import _apply_event
from core.phones import try_normalize_phone
from core.tasks import enqueue_task
from customers.models import Customer
from debts.models import Debt
from uploads.models import FileUpload, UploadRow

OPEN_CALL_STATUSES = frozenset({CallStatus.SCHEDULED, CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS})
# Largest batch one request may schedule.
MAX_BATCH_SIZE = 5000


class CallNotAllowed(Exception):
    """This customer may not be called now (do-not-call, bad number, a call
    already open…); the message says why and is shown to the user.
    ``field`` names the input at fault, for an API's 400 body."""

    def __init__(self, message: str, *, field: str = "customer"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CallTarget:
    customer_id: int
    debt_id: int | None = None
    row_id: int | None = None


@dataclass
class BatchResult:
    created: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def number_key(number: str) -> str:
    # E.164 when the number reads as one in the default region; else its
    # digits, so an ExoPhone written in another country's local form still
    # compares equal to itself.
    return try_normalize_phone(number) or "".join(ch for ch in str(number) if ch.isdigit())


def allowed_agent_number(number: str) -> str | None:
    """The number to dial for ``agent_number`` (E.164 when it reads as one),
    or None when it is not one of the configured agent numbers
    (``EXOTEL_AGENT_NUMBERS``) or the ExoPhone (``EXOTEL_CALLER_ID``).

    Exotel connects the customer to this number at our cost and under our
    caller id, so it is never a number a client chooses freely."""
    key = number_key(number)
    configured = [*settings.EXOTEL_AGENT_NUMBERS, settings.EXOTEL_CALLER_ID]
    if not key or key not in {number_key(n) for n in configured if n}:
        return None
    return try_normalize_phone(number) or number.strip()


def agent_number_refusal(number: str) -> str:
    """Why ``number`` may not be an agent number, naming the settings that list the allowed ones."""
    return (
        f"Agent number {number!r} is not one of the configured agent numbers: use a number listed in "
        "EXOTEL_AGENT_NUMBERS or the ExoPhone EXOTEL_CALLER_ID (or leave agent_number empty for the call flow)."
    )


def _actor_name(user) -> str:
    return user.get_username() if getattr(user, "pk", None) else "system"


def _check_callable(customer: Customer | None, *, customer_id: int, debt_id: int | None, agent_number: str) -> tuple[str, str]:
    """The customer's dialable number and the agent's (or ""), or ``CallNotAllowed`` saying why not."""
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
        agent = allowed_agent_number(agent_number) or ""
        if not agent:
            raise CallNotAllowed(agent_number_refusal(agent_number), field="agent_number")
    open_call = CallSession.objects.filter(customer_id=customer_id, status__in=OPEN_CALL_STATUSES).only("id", "status").first()
    if open_call is not None:
        raise CallNotAllowed(f"{customer.full_name} already has call #{open_call.pk} ({open_call.status}).")
    return phone, agent


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
    now = now or timezone.now()
    # Locking the customer serialises two requests for the same person, so
    # the "already has an open call" check below cannot be raced.
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    phone, agent = _check_callable(customer, customer_id=customer_id, debt_id=debt_id, agent_number=agent_number)
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
    message = f"Scheduled by {_actor_name(triggered_by)}"
    if when > now:
        message += f"; outside calling hours, waits until {timezone.localtime(when, when.tzinfo):%Y-%m-%d %H:%M %Z}"
    CallStatusUpdate.objects.create(call_session=session, status=CallStatus.SCHEDULED, timestamp=now, message=message)
    if dispatch and when <= now:
        # Broker down: the call stays scheduled and dispatch_scheduled_calls
        # (every minute on beat) places it once the queue is back.
        enqueue_task("calls.tasks.dispatch_call", session.pk)
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
        enqueue_task("calls.tasks.dispatch_scheduled_calls")
    return result


def call_sessions_create_for_upload(
    *, upload_id: int, row_ids: list[int] | None = None, triggered_by=None, now: datetime | None = None
) -> BatchResult:
    """Schedule calls for an upload's rows (all, or ``row_ids``), each
    session remembering the upload and the row that caused it."""
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
    _apply_event(session, status=CallStatus.CANCELED, occurred_at=now, message=f"Canceled by {_actor_name(user)}: {reason}")
    return session
