"""Recording, completing, failing, refunding and correcting payments.

Money rules, enforced here and (where SQL can) by database constraints:

* only a COMPLETED payment moves a debt's ``current_balance``; completing
  subtracts its amount, refunding adds it back, so for a debt created with
  ``current_balance == original_amount`` it always holds that
  ``original − completed + refunded == current_balance`` and the balance is
  never negative;
* every function that moves money locks the debt row first and the payment
  row second (``select_for_update``), always in that order, so concurrent
  completions serialise on the debt instead of deadlocking or losing an
  update;
* completing or refunding twice, or replaying a ``transaction_id``, is a
  no-op that answers the payment as it stands;
* the status the debt takes afterwards (paid off at zero, reopened by a
  refund) is decided by ``debts.rules``, the one home of that rule.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.history import set_history_user
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.rules import FINAL_STATUSES
from debts.services._common import (
    _check_transition,
    _local_date,
    _lock_debt,
    _lock_payment_and_debt,
    _money,
    _status_after_balance_change,
)

PAYMENT_EDITABLE_WHILE_PENDING = frozenset({"amount", "payment_date", "payment_method", "transaction_id", "notes"})


def _refuse_payment_on(debt: Debt, amount: Decimal) -> None:
    if debt.status in FINAL_STATUSES:
        raise ValidationError({"debt": f"Debt #{debt.pk} is {debt.get_status_display().lower()}; it accepts no payments."})
    if debt.status == DebtStatus.PAID_OFF or debt.current_balance <= 0:
        raise ValidationError({"debt": f"Debt #{debt.pk} is paid off; there is nothing left to pay."})
    if amount > debt.current_balance:
        # Overpayment is never absorbed silently: the surplus belongs to the
        # customer and needs a decision (refund, or apply to another debt).
        raise ValidationError(
            {"amount": f"The amount {amount} is more than the outstanding balance {debt.current_balance}; "
                       f"record at most {debt.current_balance} and handle the overpayment of "
                       f"{amount - debt.current_balance} separately."}
        )


def _move_status_after_balance_change(debt: Debt, fields: list[str]) -> None:
    """Give ``debt`` the status ``debts.rules`` says its new balance means, adding what changed to ``fields``."""
    status = _status_after_balance_change(debt)
    if status == debt.status:
        return
    _check_transition(debt, status)
    debt.status = status
    fields.append("status")
    if status == DebtStatus.PAID_OFF:
        debt.days_past_due = 0
        fields.append("days_past_due")


def _apply_completion(payment: Payment, debt: Debt, by) -> None:
    debt.current_balance = debt.current_balance - payment.amount
    paid_on = _local_date(payment.payment_date)
    if debt.last_payment_date is None or paid_on >= debt.last_payment_date:
        debt.last_payment_date = paid_on
        debt.last_payment_amount = payment.amount
    fields = ["current_balance", "last_payment_date", "last_payment_amount", "updated_at"]
    _move_status_after_balance_change(debt, fields)
    set_history_user(debt, by)
    debt._change_reason = f"payment #{payment.pk} completed"
    debt.save(update_fields=fields)
    payment.status = PaymentStatus.COMPLETED
    payment.completed_at = timezone.now()
    set_history_user(payment, by)
    payment.save(update_fields=["status", "completed_at", "updated_at"])


def _new_payment_amount_and_status(amount, status: str) -> Decimal:
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be more than zero."})
    if status not in (PaymentStatus.PENDING, PaymentStatus.COMPLETED):
        raise ValidationError({"status": "A new payment is PENDING or COMPLETED."})
    return amount


@transaction.atomic
def payment_create(
    *,
    debt_id: int,
    amount,
    payment_date: datetime | None = None,
    payment_method: str = "",
    transaction_id: str | None = None,
    status: str = PaymentStatus.PENDING,
    notes: str = "",
    customer_id: int | None = None,
    recorded_by=None,
) -> Payment:
    """Record a payment, PENDING or already COMPLETED (a payment created
    COMPLETED reduces the balance at once).

    Replaying a ``transaction_id`` returns the payment already recorded under
    it, provided it is for the same debt and amount; otherwise it is refused.
    """
    amount = _new_payment_amount_and_status(amount, status)
    transaction_id = (transaction_id or "").strip() or None
    debt = _lock_debt(debt_id)
    if customer_id is not None and customer_id != debt.customer_id:
        raise ValidationError({"customer": f"Debt #{debt.pk} belongs to customer #{debt.customer_id}, not #{customer_id}."})
    if transaction_id:
        # The debt lock serialises replays for the same debt; under READ
        # COMMITTED the second caller then sees the first one's row.
        existing = Payment.objects.filter(transaction_id=transaction_id).first()
        if existing:
            return _replayed(existing, debt_id=debt.pk, amount=amount)
    _refuse_payment_on(debt, amount)
    payment = Payment(
        customer_id=debt.customer_id,
        debt_id=debt.pk,
        amount=amount,
        payment_date=payment_date or timezone.now(),
        payment_method=payment_method or "",
        transaction_id=transaction_id,
        status=PaymentStatus.PENDING,
        notes=notes or "",
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )
    payment.full_clean(exclude=["customer", "debt", "recorded_by", "refunded_by"], validate_unique=False, validate_constraints=False)
    set_history_user(payment, recorded_by)
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # The same transaction_id arrived for another debt at the same moment.
        existing = Payment.objects.filter(transaction_id=transaction_id).first() if transaction_id else None
        if existing is None:
            raise
        return _replayed(existing, debt_id=debt.pk, amount=amount)
    if status == PaymentStatus.COMPLETED:
        _apply_completion(payment, debt, recorded_by)
    return payment


def _replayed(existing: Payment, *, debt_id: int, amount: Decimal) -> Payment:
    if existing.debt_id != debt_id or existing.amount != amount:
        raise ValidationError(
            {"transaction_id": f"Transaction {existing.transaction_id!r} is already recorded as payment #{existing.pk} "
                               f"of {existing.amount} on debt #{existing.debt_id}."}
        )
    return existing


@transaction.atomic
def payment_complete(*, payment_id: int, completed_by=None) -> Payment:
    """Complete a PENDING payment: the debt's balance goes down by its amount.

    Completing a COMPLETED payment again changes nothing and returns it.
    """
    payment, debt = _lock_payment_and_debt(payment_id)
    if payment.status == PaymentStatus.COMPLETED:
        return payment
    if payment.status != PaymentStatus.PENDING:
        raise ValidationError({"status": f"Payment #{payment.pk} is {payment.get_status_display().lower()}; only a pending payment can be completed."})
    _refuse_payment_on(debt, payment.amount)
    _apply_completion(payment, debt, completed_by)
    return payment


@transaction.atomic
def payment_fail(*, payment_id: int, reason: str = "", failed_by=None) -> Payment:
    """Mark a PENDING payment FAILED (the provider refused it). No money moves."""
    payment, _debt = _lock_payment_and_debt(payment_id)
    if payment.status == PaymentStatus.FAILED:
        return payment
    if payment.status != PaymentStatus.PENDING:
        raise ValidationError({"status": f"Payment #{payment.pk} is {payment.get_status_display().lower()}; only a pending payment can fail."})
    payment.status = PaymentStatus.FAILED
    payment.failure_reason = reason or ""
    set_history_user(payment, failed_by)
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    return payment


def _last_kept_payment(debt: Debt) -> tuple:
    """(date, amount) of what the customer last paid and kept, or (None, None)."""
    last = (
        Payment.objects.filter(debt_id=debt.pk, status=PaymentStatus.COMPLETED)
        .order_by("-payment_date", "-id")
        .values_list("payment_date", "amount")
        .first()
    )
    return (_local_date(last[0]), last[1]) if last else (None, None)


@transaction.atomic
def payment_refund(*, payment_id: int, refunded_by=None, reason: str = "") -> Payment:
    """Refund a COMPLETED payment: its amount goes back on the balance and a
    paid-off debt reopens. Refunding twice changes nothing.

    A settled or written-off debt is closed for good; refunding onto it is
    refused (reverse the settlement first would be a separate decision).
    """
    payment, debt = _lock_payment_and_debt(payment_id)
    if payment.status == PaymentStatus.REFUNDED:
        return payment
    if payment.status != PaymentStatus.COMPLETED:
        raise ValidationError({"status": f"Payment #{payment.pk} is {payment.get_status_display().lower()}; only a completed payment can be refunded."})
    if debt.status in FINAL_STATUSES:
        raise ValidationError({"debt": f"Debt #{debt.pk} is {debt.get_status_display().lower()}; its payments can no longer be refunded."})
    fields = ["current_balance", "last_payment_date", "last_payment_amount", "updated_at"]
    debt.current_balance = debt.current_balance + payment.amount
    _move_status_after_balance_change(debt, fields)
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    payment.refund_reason = reason or ""
    payment.refunded_by = refunded_by if getattr(refunded_by, "pk", None) else None
    set_history_user(payment, refunded_by)
    payment.save(update_fields=["status", "refunded_at", "refund_reason", "refunded_by", "updated_at"])
    debt.last_payment_date, debt.last_payment_amount = _last_kept_payment(debt)
    set_history_user(debt, refunded_by)
    debt._change_reason = f"payment #{payment.pk} refunded"
    debt.save(update_fields=fields)
    return payment


@transaction.atomic
def payment_update(*, payment_id: int, data: dict, updated_by=None) -> Payment:
    """Edit a payment. Only notes change once it is no longer PENDING (money
    that moved is corrected by a refund, not an edit)."""
    payment, debt = _lock_payment_and_debt(payment_id)
    allowed = PAYMENT_EDITABLE_WHILE_PENDING if payment.status == PaymentStatus.PENDING else frozenset({"notes", "payment_method"})
    refused = set(data) - allowed
    if refused:
        raise ValidationError({name: f"Cannot be changed on a {payment.get_status_display().lower()} payment." for name in sorted(refused)})
    if "amount" in data:
        data["amount"] = _money(data["amount"], "amount")
        if data["amount"] <= 0:
            raise ValidationError({"amount": "The amount must be more than zero."})
        if data["amount"] > debt.current_balance:
            _refuse_payment_on(debt, data["amount"])
    if "transaction_id" in data:
        data["transaction_id"] = (data["transaction_id"] or "").strip() or None
        if data["transaction_id"] and Payment.objects.filter(transaction_id=data["transaction_id"]).exclude(pk=payment.pk).exists():
            raise ValidationError({"transaction_id": f"Transaction {data['transaction_id']!r} is already recorded."})
    for name, value in data.items():
        setattr(payment, name, value)
    set_history_user(payment, updated_by)
    payment.save()
    return payment
