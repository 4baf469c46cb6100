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
from django.db.models import Count, Max, Min, Prefetch

from calls.models import CallSession, CallStatusUpdate
from core.money import format_ugx
from debts.choices import PaymentStatus, PromiseStatus
from debts.models import ApprovalRequest, CommunicationLog, Debt, Payment, PromiseToPay
from statements.models import Statement
from uploads.models import UploadRow

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
    the newest. Ten queries, whatever the number of events.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    wanted = set(TIMELINE_KINDS) if not kinds else set(kinds) & set(TIMELINE_KINDS)
    limit = min(limit or TIMELINE_MAX_EVENTS, TIMELINE_MAX_EVENTS)
    events: list[TimelineEvent] = []
    add = events.append

    if wanted & {"payment", "refund"}:
        for p in Payment.objects.filter(customer_id=customer_id).select_related("debt").order_by("-payment_date", "-id")[:limit]:
            currency = p.debt.currency
            if "payment" in wanted:
                add(_event(
                    at=p.payment_date, kind="payment", object_id=p.pk, zone=zone, debt_id=p.debt_id, amount=p.amount, currency=currency,
                    status=p.status, title=f"Payment {p.get_status_display().lower()}" + (f" ({p.get_payment_method_display()})" if p.payment_method else ""),
                    detail=" · ".join(x for x in (p.transaction_id or "", p.failure_reason, p.void_reason, p.notes) if x),
                ))
            if "refund" in wanted and p.status == PaymentStatus.REFUNDED and p.refunded_at:
                add(_event(
                    at=p.refunded_at, kind="refund", object_id=p.pk, zone=zone, debt_id=p.debt_id, amount=p.amount, currency=currency,
                    status=p.status, title="Payment refunded", detail=p.refund_reason,
                ))

    if "contact" in wanted:
        logs = CommunicationLog.objects.filter(customer_id=customer_id).select_related("disposition").order_by("-timestamp", "-id")
        for log in logs[:limit]:
            disposition = log.disposition.label if log.disposition_id else (log.outcome or "")
            parts = [f"by {log.agent_id}" if log.agent_id else "", f"next action {log.next_action_date:%Y-%m-%d}" if log.next_action_date else "", log.notes]
            add(_event(
                at=log.timestamp, kind="contact", object_id=log.pk, zone=zone, debt_id=log.debt_id, status=log.outcome,
                title=f"{log.get_communication_type_display()} {log.get_direction_display().lower()}" + (f": {disposition}" if disposition else ""),
                detail=" · ".join(x for x in parts if x),
            ))

    if "call" in wanted:
        steps = Prefetch("status_updates", queryset=CallStatusUpdate.objects.order_by("timestamp", "id"))
        calls = CallSession.objects.filter(customer_id=customer_id).prefetch_related(steps).order_by("-created_at", "-id")
        for call in calls[:limit]:
            history = [{"status": s.status, "at": s.timestamp.astimezone(zone), "message": s.message} for s in call.status_updates.all()]
            when = f"scheduled for {call.scheduled_for.astimezone(zone):%Y-%m-%d %H:%M}" if call.scheduled_for else ""
            add(_event(
                at=call.created_at, kind="call", object_id=call.pk, zone=zone, debt_id=call.debt_id, status=call.status,
                title=f"Call {call.get_status_display().lower()}", history=history,
                detail=" · ".join(x for x in (call.to_number, when, f"{call.duration_seconds}s" if call.duration_seconds else "", call.error_message) if x),
            ))

    if wanted & {"promise", "promise_outcome"}:
        promises = PromiseToPay.objects.filter(customer_id=customer_id).select_related("debt").order_by("-created_at", "-id")
        for pr in promises[:limit]:
            if "promise" in wanted:
                add(_event(
                    at=pr.created_at, kind="promise", object_id=pr.pk, zone=zone, debt_id=pr.debt_id, amount=pr.amount,
                    currency=pr.debt.currency, status=pr.status, title=f"Promise to pay by {pr.promised_date:%Y-%m-%d}", detail=pr.notes,
                ))
            if "promise_outcome" in wanted and pr.status != PromiseStatus.PENDING and pr.evaluated_at:
                add(_event(
                    at=pr.evaluated_at, kind="promise_outcome", object_id=pr.pk, zone=zone, debt_id=pr.debt_id, amount=pr.amount_paid,
                    currency=pr.debt.currency, status=pr.status, title=f"Promise {pr.get_status_display().lower()}",
                    detail=f"{format_ugx(pr.amount_paid, pr.debt.currency)} paid of {format_ugx(pr.amount, pr.debt.currency)} promised",
                ))

    if "statement" in wanted:
        statements = Statement.objects.filter(customer_id=customer_id).select_related("summary").order_by("-created_at", "-id")
        for st in statements[:limit]:
            summary = getattr(st, "summary", None)
            verdict = [st.get_status_display()]
            if summary is not None:
                if summary.verification_status:
                    verdict.append(f"verification {summary.get_verification_status_display().lower()}")
                verdict.append(f"tampering {summary.get_tampering_level_display().lower()}")
            add(_event(
                at=st.created_at, kind="statement", object_id=st.pk, zone=zone, status=st.status,
                title=f"Statement {st.acc_prvdr_code} {st.file_name or st.run_id}".strip(), detail=" · ".join(verdict),
            ))

    if "upload" in wanted:
        uploads = (
            UploadRow.objects.filter(matched_customer_id=customer_id)
            .values("file_upload_id", "file_upload__filename", "file_upload__uploaded_at")
            .annotate(lines=Count("id"), first_line=Min("line_number"), debts=Count("matched_debt", distinct=True), last=Max("processed_at"))
            .order_by("-file_upload__uploaded_at")[:limit]
        )
        for row in uploads:
            add(_event(
                at=row["file_upload__uploaded_at"], kind="upload", object_id=row["file_upload_id"], zone=zone,
                title=f"Loan book {row['file_upload__filename']}",
                detail=f"{row['lines']} line(s) from line {row['first_line']}, {row['debts']} debt(s)",
            ))

    if "approval" in wanted:
        approvals = ApprovalRequest.objects.filter(debt__customer_id=customer_id).select_related("requested_by", "decided_by", "debt")
        for ar in approvals.order_by("-created_at", "-id")[:limit]:
            who = f"asked by {ar.requested_by.get_username()}"
            if ar.decided_by_id:
                who += f", {ar.get_status_display().lower()} by {ar.decided_by.get_username()}"
            add(_event(
                at=ar.decided_at or ar.created_at, kind="approval", object_id=ar.pk, zone=zone, debt_id=ar.debt_id, amount=ar.amount,
                currency=ar.debt.currency, status=ar.status, title=f"{ar.get_kind_display()} request {ar.get_status_display().lower()}",
                detail=" · ".join(x for x in (who, ar.reason, ar.note) if x),
            ))

    if "debt_closed" in wanted:
        for debt in Debt.objects.filter(customer_id=customer_id, closed_at__isnull=False).order_by("-closed_at")[:limit]:
            add(_event(
                at=debt.closed_at, kind="debt_closed", object_id=debt.pk, zone=zone, debt_id=debt.pk, status=debt.status,
                amount=debt.settled_amount if debt.settled_amount is not None else debt.current_balance, currency=debt.currency,
                title=f"{debt.loan_id or f'Debt #{debt.pk}'} {debt.get_status_display().lower()}", detail=debt.closed_reason,
            ))

    events.sort(key=lambda e: (e["at"], e["kind"], e["object_id"]), reverse=True)
    return events[:limit]
