"""The customer's timeline: everything that happened with one customer, as
one list, newest first.

It lives in ``workbench``, the layer above ``calls``, because it reads every
app: ``debts`` (payments, refunds, contacts, promises, approvals, closures)
cannot import ``calls``, ``statements`` or ``uploads`` (the layers contract
in pyproject.toml), and ``calls`` should not grow a reader of statements.
The work queue itself needs only debts and customers, so it stays in
``debts.selectors.work_queue``.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Min

from calls.choices import CallStatus
from calls.models import CallSession, CallStatusUpdate
from core.money import format_ugx
from debts.choices import (
    ApprovalKind,
    ApprovalStatus,
    CommunicationDirection,
    CommunicationType,
    DebtStatus,
    PaymentMethod,
    PaymentStatus,
    PromiseStatus,
)
from debts.models import ApprovalRequest, CommunicationLog, Debt, Payment, PromiseToPay
from statements.choices import StatementStatus, TamperingLevel, VerificationStatus
from statements.models import Statement
from uploads.models import UploadRow

# Labels looked up once: the rows are read as values, never as model
# instances (2,000 instances with their joined rows cost more than the queries).
_LABELS = {
    name: dict(choices.choices)
    for name, choices in {
        "payment": PaymentStatus, "method": PaymentMethod, "call": CallStatus, "promise": PromiseStatus, "type": CommunicationType,
        "direction": CommunicationDirection, "statement": StatementStatus, "verification": VerificationStatus,
        "tampering": TamperingLevel, "kind": ApprovalKind, "approval": ApprovalStatus, "debt": DebtStatus,
    }.items()
}


def _label(kind: str, value) -> str:
    return str(_LABELS[kind].get(value, value or ""))

TIMELINE_KINDS = (
    "payment", "refund", "contact", "call", "promise", "promise_outcome", "statement", "upload", "approval", "debt_closed",
)
# Bounded: the page shows the most recent; an older event is in its admin list.
TIMELINE_MAX_EVENTS = 5000


class TimelineEvent(TypedDict):
    at: datetime  # aware, in settings.TIME_ZONE (Africa/Kampala)
    kind: str  # one of TIMELINE_KINDS
    title: str
    detail: str
    status: str
    amount: Decimal | None
    amount_display: str
    debt_id: int | None
    object_id: int
    history: list[dict]  # a call's status steps [{"status", "at", "message"}], else []


def _event(*, at, kind, title, object_id, zone, detail="", status="", amount=None, currency=None, debt_id=None, history=None) -> TimelineEvent:
    return {
        "at": at.astimezone(zone),
        "kind": kind,
        "title": title,
        "detail": detail,
        "status": status,
        "amount": amount,
        "amount_display": format_ugx(amount, currency) if amount is not None else "",
        "debt_id": debt_id,
        "object_id": object_id,
        "history": history or [],
    }


def customer_timeline(*, customer_id: int, kinds: set[str] | None = None, limit: int | None = None) -> list[TimelineEvent]:
    """Every event of one customer, newest first, times in local time (``TIME_ZONE``).

    Payments (when made; a refund is its own event when refunded), contacts
    (with their disposition and next action), calls (with their status
    history), promises (when made, and their outcome when judged), statements
    (with their verdict: status, verification, tampering), loan-book uploads
    that matched the customer (one event per upload), approval requests and
    debts closed (settled, written off). ``kinds`` narrows to some of
    ``TIMELINE_KINDS``; ``limit`` (at most ``TIMELINE_MAX_EVENTS``) keeps
    the newest. Eleven queries, whatever the number of events; rows are read as
    values (no model instances).
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    wanted = set(TIMELINE_KINDS) if not kinds else set(kinds) & set(TIMELINE_KINDS)
    limit = min(limit or TIMELINE_MAX_EVENTS, TIMELINE_MAX_EVENTS)
    events: list[TimelineEvent] = []
    add = events.append
    # Each debt's currency, read once instead of joined to every row.
    currencies = dict(Debt.objects.filter(customer_id=customer_id).values_list("id", "currency"))

    if wanted & {"payment", "refund"}:
        payments = (
            Payment.objects.filter(customer_id=customer_id)
            .order_by("-payment_date", "-id")
            .values_list("id", "debt_id", "amount", "payment_date", "payment_method", "transaction_id", "status", "refunded_at",
                         "refund_reason", "failure_reason", "void_reason", "notes")[:limit]
        )
        for pk, debt_id, amount, paid_at, method, txid, status, refunded_at, refund_reason, failure, void, notes in payments:
            currency = currencies.get(debt_id)
            if "payment" in wanted:
                add(_event(
                    at=paid_at, kind="payment", object_id=pk, zone=zone, debt_id=debt_id, amount=amount, currency=currency, status=status,
                    title=f"Payment {_label('payment', status).lower()}" + (f" ({_label('method', method)})" if method else ""),
                    detail=" · ".join(x for x in (txid or "", failure, void, notes) if x),
                ))
            if "refund" in wanted and status == PaymentStatus.REFUNDED and refunded_at:
                add(_event(at=refunded_at, kind="refund", object_id=pk, zone=zone, debt_id=debt_id, amount=amount, currency=currency,
                           status=status, title="Payment refunded", detail=refund_reason))

    if "contact" in wanted:
        logs = (
            CommunicationLog.objects.filter(customer_id=customer_id)
            .order_by("-timestamp", "-id")
            .values_list("id", "debt_id", "timestamp", "communication_type", "direction", "outcome", "disposition__label",
                         "next_action_date", "agent_id", "notes")[:limit]
        )
        for pk, debt_id, at, ctype, direction, outcome, disposition, next_action, agent_id, notes in logs:
            disposition = disposition or outcome or ""
            parts = (f"by {agent_id}" if agent_id else "", f"next action {next_action:%Y-%m-%d}" if next_action else "", notes)
            add(_event(
                at=at, kind="contact", object_id=pk, zone=zone, debt_id=debt_id, status=outcome,
                title=f"{_label('type', ctype)} {_label('direction', direction).lower()}" + (f": {disposition}" if disposition else ""),
                detail=" · ".join(x for x in parts if x),
            ))

    if "call" in wanted:
        calls = list(
            CallSession.objects.filter(customer_id=customer_id)
            .order_by("-created_at", "-id")
            .values_list("id", "debt_id", "created_at", "status", "to_number", "scheduled_for", "duration_seconds", "error_message")[:limit]
        )
        steps: dict[int, list[dict]] = {}
        if calls:
            updates = (
                # A join on the customer, not an IN list of every call's id.
                CallStatusUpdate.objects.filter(call_session__customer_id=customer_id)
                .order_by("timestamp", "id")
                .values_list("call_session_id", "status", "timestamp", "message")
            )
            for call_id, status, at, message in updates:
                steps.setdefault(call_id, []).append({"status": status, "at": at.astimezone(zone), "message": message})
        for pk, debt_id, at, status, to_number, scheduled_for, duration, error in calls:
            when = f"scheduled for {scheduled_for.astimezone(zone):%Y-%m-%d %H:%M}" if scheduled_for else ""
            add(_event(
                at=at, kind="call", object_id=pk, zone=zone, debt_id=debt_id, status=status, title=f"Call {_label('call', status).lower()}",
                history=steps.get(pk, []), detail=" · ".join(x for x in (to_number, when, f"{duration}s" if duration else "", error) if x),
            ))

    if wanted & {"promise", "promise_outcome"}:
        promises = (
            PromiseToPay.objects.filter(customer_id=customer_id)
            .order_by("-created_at", "-id")
            .values_list("id", "debt_id", "created_at", "amount", "promised_date", "status", "amount_paid", "evaluated_at", "notes")[:limit]
        )
        for pk, debt_id, at, amount, promised, status, paid, evaluated_at, notes in promises:
            currency = currencies.get(debt_id)
            if "promise" in wanted:
                add(_event(at=at, kind="promise", object_id=pk, zone=zone, debt_id=debt_id, amount=amount, currency=currency,
                           status=status, title=f"Promise to pay by {promised:%Y-%m-%d}", detail=notes))
            if "promise_outcome" in wanted and status != PromiseStatus.PENDING and evaluated_at:
                add(_event(
                    at=evaluated_at, kind="promise_outcome", object_id=pk, zone=zone, debt_id=debt_id, amount=paid, currency=currency,
                    status=status, title=f"Promise {_label('promise', status).lower()}",
                    detail=f"{format_ugx(paid, currency)} paid of {format_ugx(amount, currency)} promised",
                ))

    if "statement" in wanted:
        statements = (
            Statement.objects.filter(customer_id=customer_id)
            .order_by("-created_at", "-id")
            .values_list("id", "created_at", "status", "acc_prvdr_code", "file_name", "run_id", "summary__verification_status",
                         "summary__tampering_level")[:limit]
        )
        for pk, at, status, provider, file_name, run_id, verification, tampering in statements:
            verdict = [_label("statement", status)]
            if verification:
                verdict.append(f"verification {_label('verification', verification).lower()}")
            if tampering:
                verdict.append(f"tampering {_label('tampering', tampering).lower()}")
            add(_event(at=at, kind="statement", object_id=pk, zone=zone, status=status,
                       title=f"Statement {provider} {file_name or run_id}".strip(), detail=" · ".join(verdict)))

    if "upload" in wanted:
        uploads = (
            UploadRow.objects.filter(matched_customer_id=customer_id)
            .values("file_upload_id")
            .annotate(at=F("file_upload__uploaded_at"), filename=F("file_upload__filename"), lines=Count("id"),
                      first_line=Min("line_number"), debts=Count("matched_debt", distinct=True))
            .order_by("-at")[:limit]
        )
        for row in uploads:
            add(_event(at=row["at"], kind="upload", object_id=row["file_upload_id"], zone=zone, title=f"Loan book {row['filename']}",
                       detail=f"{row['lines']} line(s) from line {row['first_line']}, {row['debts']} debt(s)"))

    if "approval" in wanted:
        approvals = (
            ApprovalRequest.objects.filter(debt_id__in=list(currencies))
            .order_by("-created_at", "-id")
            .values_list("id", "debt_id", "created_at", "decided_at", "kind", "status", "amount", "reason", "note",
                         "requested_by__username", "decided_by__username")[:limit]
        )
        for pk, debt_id, at, decided_at, kind, status, amount, reason, note, asked_by, decided_by in approvals:
            currency = currencies.get(debt_id)
            who = f"asked by {asked_by}" + (f", {_label('approval', status).lower()} by {decided_by}" if decided_by else "")
            add(_event(
                at=decided_at or at, kind="approval", object_id=pk, zone=zone, debt_id=debt_id, amount=amount, currency=currency,
                status=status, title=f"{_label('kind', kind)} request {_label('approval', status).lower()}",
                detail=" · ".join(x for x in (who, reason, note) if x),
            ))

    if "debt_closed" in wanted:
        closed = (
            Debt.objects.filter(customer_id=customer_id, closed_at__isnull=False)
            .order_by("-closed_at")
            .values_list("id", "loan_id", "closed_at", "status", "settled_amount", "current_balance", "currency", "closed_reason")[:limit]
        )
        for pk, loan_id, at, status, settled, balance, currency, reason in closed:
            add(_event(at=at, kind="debt_closed", object_id=pk, zone=zone, debt_id=pk, status=status,
                       amount=settled if settled is not None else balance, currency=currency,
                       title=f"{loan_id or f'Debt #{pk}'} {_label('debt', status).lower()}", detail=reason))

    events.sort(key=lambda e: (e["at"], e["kind"], e["object_id"]), reverse=True)
    return events[:limit]


def timeline_json(events: list[TimelineEvent]) -> list[dict]:
    """``events`` as JSON-ready dicts (ISO times with their offset, amounts as
    decimal strings), the shape ``workbench.api.serializers.TimelineEventSerializer``
    documents; built directly, as a serializer per event costs more than the
    queries."""
    out = []
    for e in events:
        amount = e["amount"]
        out.append({
            **e,
            "at": e["at"].isoformat(),
            "amount": None if amount is None else f"{amount:.2f}",
            "history": [{**step, "at": step["at"].isoformat()} for step in e["history"]],
        })
    return out
