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
  refund) is decided by ``debts.rules``, the one home of that rule;
* a payment is for the debt's own customer (naming another is refused, never
  silently replaced) and is dated between the debt's ``issue_date`` and now;
* a payment is never deleted, whatever its status: a COMPLETED one is
  refunded, a PENDING one voided (``debts.void_payment``), a FAILED, VOIDED or
  REFUNDED one stays as the record of what happened. Refund and void each
  need their own permission and a reason, which is the history row's change
  reason.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone

from core.history import set_history_user
from customers.models import Customer
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.rules import FINAL_STATUSES
from debts.services._common import (
    _check_four_eyes,
    _check_transition,
    _local_date,
    _lock_debt,
    _lock_payment_and_debt,
    _money,
    _require_perm,
    _required_reason,
    _status_after_balance_change,
)

# The amount is fixed once recorded, even while pending: a wrong payment is
# voided and recorded again, so every amount a person typed stays on file.
PAYMENT_EDITABLE_WHILE_PENDING = frozenset({"payment_date", "payment_method", "transaction_id", "notes"})


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


def _refuse_other_customer(debt: Debt, customer_id: int | None) -> None:
    if customer_id is None or customer_id == debt.customer_id:
        return
    owner = debt.customer
    named = Customer.objects.filter(pk=customer_id).values_list("full_name", flat=True).first()
    named_text = f"customer #{customer_id} ({named})" if named is not None else f"customer #{customer_id}, who does not exist"
    raise ValidationError({
        "customer": f"Debt #{debt.pk} ({debt.loan_id or 'no loan id'}) belongs to customer #{owner.pk} ({owner.full_name}), "
                    f"not to {named_text}; a payment is recorded for the debt's own customer."
    })


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _refuse_payment_date(debt: Debt, payment_date: datetime) -> None:
    """A payment happened between the debt's issue and now (local time)."""
    now = timezone.now()
    if payment_date > now:
        when = formats.date_format(timezone.localtime(payment_date), "Y-m-d H:i")
        raise ValidationError({"payment_date": f"The payment date {when} is in the future (now is "
                                               f"{formats.date_format(timezone.localtime(now), 'Y-m-d H:i')})."})
    if debt.issue_date and _local_date(payment_date) < debt.issue_date:
        raise ValidationError({"payment_date": f"The payment date {_local_date(payment_date):%Y-%m-%d} is before debt #{debt.pk} "
                                               f"was issued ({debt.issue_date:%Y-%m-%d})."})


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
    _refuse_other_customer(debt, customer_id)
    if transaction_id:
        # The debt lock serialises replays for the same debt; under READ
        # COMMITTED the second caller then sees the first one's row.
        existing = Payment.objects.filter(transaction_id=transaction_id).first()
        if existing:
            return _replayed(existing, debt_id=debt.pk, amount=amount)
    _refuse_payment_on(debt, amount)
    payment_date = _aware(payment_date) if payment_date else timezone.now()
    _refuse_payment_date(debt, payment_date)
    payment = Payment(
        customer_id=debt.customer_id,
        debt_id=debt.pk,
        amount=amount,
        payment_date=payment_date,
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
def payment_refund(*, payment_id: int, refunded_by, reason: str, approval_request_id: int | None = None) -> Payment:
    """Refund a COMPLETED payment: its amount goes back on the balance and a
    paid-off debt reopens. Refunding twice changes nothing.

    Needs ``debts.refund_payment`` and a reason (kept on the payment and as
    the history rows' change reason). A settled or written-off debt is
    closed for good; refunding onto it is refused (reversing the settlement
    first would be a separate decision). A payment above
    ``APPROVAL_THRESHOLD_UGX`` raises ``ApprovalRequired`` unless the refund
    runs as the approved request ``approval_request_id``.
    """
    _require_perm(refunded_by, "debts.refund_payment", "refund payments")
    reason = _required_reason(reason, "Say why the payment is refunded.")
    payment, debt = _lock_payment_and_debt(payment_id)
    if payment.status == PaymentStatus.REFUNDED:
        return payment
    if payment.status != PaymentStatus.COMPLETED:
        raise ValidationError({"status": f"Payment #{payment.pk} is {payment.get_status_display().lower()}; only a completed payment can be refunded."})
    if debt.status in FINAL_STATUSES:
        raise ValidationError({"debt": f"Debt #{debt.pk} is {debt.get_status_display().lower()}; its payments can no longer be refunded."})
    _check_four_eyes(kind="refund", debt=debt, payment=payment, amount=payment.amount, actor=refunded_by, approval_request_id=approval_request_id)
    fields = ["current_balance", "last_payment_date", "last_payment_amount", "updated_at"]
    debt.current_balance = debt.current_balance + payment.amount
    _move_status_after_balance_change(debt, fields)
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    payment.refund_reason = reason
    payment.refunded_by = refunded_by if getattr(refunded_by, "pk", None) else None
    set_history_user(payment, refunded_by)
    payment._change_reason = f"refunded: {reason}"[:100]
    payment.save(update_fields=["status", "refunded_at", "refund_reason", "refunded_by", "updated_at"])
    debt.last_payment_date, debt.last_payment_amount = _last_kept_payment(debt)
    set_history_user(debt, refunded_by)
    debt._change_reason = f"payment #{payment.pk} refunded: {reason}"[:100]
    debt.save(update_fields=fields)
    return payment


@transaction.atomic
def payment_void(*, payment_id: int, voided_by, reason: str) -> Payment:
    """Void a PENDING payment (recorded by mistake, or the money never came):
    it can no longer be completed, no money moves, the row stays.

    Needs ``debts.void_payment`` and a reason (kept on the payment and as its
    history row's change reason). Voiding twice changes nothing.
    """
    _require_perm(voided_by, "debts.void_payment", "void payments")
    reason = _required_reason(reason, "Say why the payment is voided.")
    payment, _debt = _lock_payment_and_debt(payment_id)
    if payment.status == PaymentStatus.VOIDED:
        return payment
    if payment.status != PaymentStatus.PENDING:
        raise ValidationError({"status": f"Payment #{payment.pk} is {payment.get_status_display().lower()}; only a pending "
                                         f"payment can be voided (a completed one is refunded)."})
    payment.status = PaymentStatus.VOIDED
    payment.voided_at = timezone.now()
    payment.void_reason = reason
    payment.voided_by = voided_by
    set_history_user(payment, voided_by)
    payment._change_reason = f"voided: {reason}"[:100]
    payment.save(update_fields=["status", "voided_at", "void_reason", "voided_by", "updated_at"])
    return payment


def payment_check_deletable(*, payment: Payment) -> None:
    """Refuse, always: a payment is never deleted (see the module docstring).

    The message says what to do instead, by status.
    """
    instead = {
        PaymentStatus.COMPLETED: "refund it instead",
        PaymentStatus.PENDING: "void it instead",
    }.get(payment.status, "it stays as the record of what happened")
    raise ValidationError(f"Payment #{payment.pk} ({payment.get_status_display().lower()}, {payment.amount}) cannot be deleted: "
                          f"payments are kept for the books; {instead}.")


def payment_delete(*, payment_id: int, deleted_by=None) -> None:
    """The one door for deleting a payment, and it is shut (``payment_check_deletable``)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise ValidationError({"payment": f"Payment #{payment_id} does not exist."})
    payment_check_deletable(payment=payment)


@transaction.atomic
def payment_update(*, payment_id: int, data: dict, updated_by=None) -> Payment:
    """Edit a payment's descriptive fields. The amount, debt, customer and
    status never change here; once it is no longer PENDING only notes and the
    method do (money that moved is corrected by a refund, a pending payment
    by voiding it)."""
    payment, debt = _lock_payment_and_debt(payment_id)
    allowed = PAYMENT_EDITABLE_WHILE_PENDING if payment.status == PaymentStatus.PENDING else frozenset({"notes", "payment_method"})
    refused = set(data) - allowed
    if refused:
        raise ValidationError({name: f"Cannot be changed on a {payment.get_status_display().lower()} payment." for name in sorted(refused)})
    if "payment_date" in data:
        data["payment_date"] = _aware(data["payment_date"])
        _refuse_payment_date(debt, data["payment_date"])
    if "transaction_id" in data:
        data["transaction_id"] = (data["transaction_id"] or "").strip() or None
        if data["transaction_id"] and Payment.objects.filter(transaction_id=data["transaction_id"]).exclude(pk=payment.pk).exists():
            raise ValidationError({"transaction_id": f"Transaction {data['transaction_id']!r} is already recorded."})
    for name, value in data.items():
        setattr(payment, name, value)
    set_history_user(payment, updated_by)
    payment.save()
    return payment
