"""Promises to pay: recorded by an agent after a contact, judged KEPT or
BROKEN by the nightly delinquency run once their date has passed."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateTimeField, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from debts.choices import PaymentStatus, PromiseStatus
from debts.models import CommunicationLog, Payment, PromiseToPay
from debts.rules import OPEN_STATUSES
from debts.services._common import ZERO, _lock_debt, _money


@transaction.atomic
def promise_create(
    *,
    debt_id: int,
    amount,
    promised_date: date,
    communication_log_id: int | None = None,
    created_by=None,
    notes: str = "",
    today: date | None = None,
) -> PromiseToPay:
    """Record a customer's promise to pay ``amount`` on ``debt_id`` by ``promised_date``."""
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ValidationError({"amount": "The promised amount must be more than zero."})
    today = today or timezone.localdate()
    if promised_date < today:
        raise ValidationError({"promised_date": f"{promised_date} is in the past."})
    debt = _lock_debt(debt_id)
    if debt.status not in OPEN_STATUSES:
        raise ValidationError({"debt": f"Debt #{debt.pk} is {debt.get_status_display().lower()}; nothing is left to promise."})
    if amount > debt.current_balance:
        raise ValidationError({"amount": f"The promised amount {amount} is more than the balance {debt.current_balance}."})
    if communication_log_id is not None and not CommunicationLog.objects.filter(
        pk=communication_log_id, customer_id=debt.customer_id
    ).exists():
        raise ValidationError({"communication_log": f"Communication log #{communication_log_id} is not a contact with this debt's customer."})
    return PromiseToPay.objects.create(
        customer_id=debt.customer_id,
        debt_id=debt.pk,
        communication_log_id=communication_log_id,
        amount=amount,
        promised_date=promised_date,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        notes=notes or "",
    )


@transaction.atomic
def promise_update(*, promise_id: int, data: dict) -> PromiseToPay:
    """Change a pending promise's notes, or cancel it (status CANCELLED)."""
    promise = PromiseToPay.objects.select_for_update().get(pk=promise_id)
    refused = set(data) - {"notes", "status"}
    if refused:
        raise ValidationError({name: "Record a new promise instead of changing this one." for name in sorted(refused)})
    if "status" in data and data["status"] != promise.status:
        if data["status"] != PromiseStatus.CANCELLED or promise.status != PromiseStatus.PENDING:
            raise ValidationError({"status": "Only a pending promise can be changed, and only to CANCELLED; KEPT and BROKEN are decided by the delinquency run."})
        promise.status = PromiseStatus.CANCELLED
        promise.evaluated_at = timezone.now()
    if "notes" in data:
        promise.notes = data["notes"] or ""
    promise.save()
    return promise


def promises_evaluate(*, today: date | None = None) -> tuple[int, int]:
    """Judge PENDING promises whose date has passed: KEPT when the debt's
    completed payments since the promise was made, up to the end of the
    promised day, reach the promised amount; else BROKEN. Also brings
    ``amount_paid`` up to date on pending promises. Set-based.
    """
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    # End of the promised day in local time, as an offset from the date's
    # midnight: exact for fixed-offset zones (Africa/Kampala), off by the DST
    # hour at most elsewhere.
    offset = timezone.make_aware(datetime.combine(today, datetime.min.time()), tz).utcoffset() or timedelta(0)
    pending = PromiseToPay.objects.filter(status=PromiseStatus.PENDING)
    paid = (
        Payment.objects.filter(
            debt_id=OuterRef("debt_id"),
            status=PaymentStatus.COMPLETED,
            payment_date__gte=OuterRef("created_at"),
            payment_date__lt=_end_of_local_day(OuterRef("promised_date"), offset),
        )
        .order_by()
        .values("debt_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    with transaction.atomic():
        pending.update(amount_paid=Coalesce(Subquery(paid, output_field=DecimalField(max_digits=16, decimal_places=2)), Value(ZERO)))
        now = timezone.now()
        due = pending.filter(promised_date__lt=today)
        kept = due.filter(amount_paid__gte=F("amount")).update(status=PromiseStatus.KEPT, evaluated_at=now, updated_at=now)
        broken = due.filter(amount_paid__lt=F("amount")).update(status=PromiseStatus.BROKEN, evaluated_at=now, updated_at=now)
    return kept, broken


def _end_of_local_day(date_expr, utc_offset: timedelta):
    # The date is made a datetime (midnight) before the hours are added: on
    # SQLite, a date plus an interval stays a date ("2026-12-01" + 21 h is
    # "2026-12-01"), so a payment made on the promised day compared after
    # that string and the promise was judged BROKEN; MySQL promotes the date
    # itself. The Cast makes both databases add to a datetime.
    return ExpressionWrapper(Cast(date_expr, DateTimeField()) + Value(timedelta(days=1) - utc_offset), output_field=DateTimeField())
