"""Creating and editing debts, and moving them between statuses by hand:
settlement and write-off (each needing its own permission) close a debt;
payments, not these functions, pay it off.

A debt that money has touched is never deleted: one with payments (of any
status), or one closed by settlement or write-off. Only a debt recorded by
mistake, with neither, can be deleted (``debt_delete``)."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.history import set_history_user
from customers.models import Customer
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.rules import OPEN_STATUSES
from debts.services._common import (
    _check_four_eyes,
    _check_transition,
    _lock_debt,
    _money,
    _non_negative_money,
    _require_perm,
    _required_reason,
)

# Fields a debt update may change. Balance and status move only through
# payments and the transition functions below.
DEBT_EDITABLE_FIELDS = frozenset({
    "debt_type", "interest_rate", "minimum_payment", "due_amount", "currency", "issue_date", "due_date",
    "account_number", "reference_number", "state", "cluster", "branch", "branch_contact", "employee_name",
    "employee_id", "employee_contact", "notes", "loan_id",
})
# Set once, when a loan book or a person first records the debt.
_CREATE_ONLY_FIELDS = frozenset({"source_upload", "source_upload_id", "last_payment_date", "last_payment_amount", "status"})


def _new_debt_status(requested: str | None, balance) -> str:
    status = requested or (DebtStatus.ACTIVE if balance > 0 else DebtStatus.PAID_OFF)
    if status not in (*OPEN_STATUSES, DebtStatus.PAID_OFF):
        raise ValidationError({"status": "A new debt is active, in collection, defaulted or paid off; settle or write it off afterwards."})
    if status == DebtStatus.PAID_OFF and balance > 0:
        raise ValidationError({"status": "A debt with a balance cannot be paid off."})
    return status


def _refuse_taken_loan_id(loan_id: str | None, *, exclude_pk: int | None = None) -> None:
    if not loan_id:
        return
    taken = Debt.objects.filter(loan_id=loan_id)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"loan_id": f"A debt with loan id {loan_id!r} already exists."})


@transaction.atomic
def debt_create(
    *,
    customer_id: int,
    original_amount,
    debt_type: str = "loan",
    current_balance=None,
    issue_date: date | None = None,
    created_by=None,
    **fields,
) -> Debt:
    """Create a debt. ``current_balance`` defaults to ``original_amount``.

    A loan book may bring a balance above the principal (interest and fees),
    so that is allowed; a negative one is not.
    """
    unknown = set(fields) - DEBT_EDITABLE_FIELDS - _CREATE_ONLY_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be set on a new debt." for name in sorted(unknown)})
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": f"Customer #{customer_id} does not exist."})
    original = _money(original_amount, "original_amount")
    if original < 0:
        raise ValidationError({"original_amount": "The original amount cannot be negative."})
    balance = original if current_balance is None else _money(current_balance, "current_balance")
    if balance < 0:
        raise ValidationError({"current_balance": "The balance cannot be negative."})
    status = _new_debt_status(fields.pop("status", None), balance)
    fields["loan_id"] = fields.get("loan_id") or None
    _refuse_taken_loan_id(fields["loan_id"])
    _non_negative_money(fields, ("minimum_payment", "due_amount", "last_payment_amount"))
    debt = Debt(
        customer_id=customer_id,
        debt_type=debt_type,
        original_amount=original,
        current_balance=balance,
        issue_date=issue_date or timezone.localdate(),
        status=status,
        **fields,
    )
    set_history_user(debt, created_by)
    debt.full_clean(exclude=["customer", "source_upload"], validate_unique=False, validate_constraints=False)
    debt.save()
    return debt


@transaction.atomic
def debt_update(*, debt_id: int, data: dict, updated_by=None) -> Debt:
    """Change a debt's descriptive fields. Balance and status are refused here."""
    forbidden = set(data) - DEBT_EDITABLE_FIELDS
    if forbidden:
        raise ValidationError(
            {name: "Changes only through payments, settlement or write-off." for name in sorted(forbidden)}
        )
    debt = _lock_debt(debt_id)
    _non_negative_money(data, ("minimum_payment", "due_amount"))
    if "loan_id" in data:
        data["loan_id"] = data["loan_id"] or None
        _refuse_taken_loan_id(data["loan_id"], exclude_pk=debt.pk)
    for name, value in data.items():
        setattr(debt, name, value)
    set_history_user(debt, updated_by)
    debt.full_clean(exclude=["customer", "source_upload", "closed_by"], validate_unique=False, validate_constraints=False)
    debt.save()
    return debt


@transaction.atomic
def debt_change_status(*, debt_id: int, status: str, changed_by=None, reason: str = "") -> Debt:
    """Move a debt along the transition table (ACTIVE ⇄ IN_COLLECTION ⇄ DEFAULTED).

    PAID_OFF comes from payments, SETTLED and WRITTEN_OFF from ``debt_settle``
    and ``debt_write_off``, which need their own permissions.
    """
    debt = _lock_debt(debt_id)
    if status in (DebtStatus.PAID_OFF, DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF):
        raise ValidationError({"status": f"Use the {DebtStatus(status).label.lower()} workflow, not a status change."})
    _check_transition(debt, status)
    if debt.status == DebtStatus.PAID_OFF and debt.current_balance == 0:
        raise ValidationError({"status": "A paid-off debt reopens only when a payment is refunded."})
    if status == debt.status:
        return debt
    debt.status = status
    set_history_user(debt, changed_by)
    debt._change_reason = reason or None
    debt.save(update_fields=["status", "updated_at"])
    return debt


def _refuse_closing_with_pending_payments(debt: Debt, closing: str) -> None:
    if Payment.objects.filter(debt_id=debt.pk, status=PaymentStatus.PENDING).exists():
        raise ValidationError({"status": f"Complete or fail the debt's pending payments before {closing}."})


@transaction.atomic
def debt_settle(*, debt_id: int, settled_amount, settled_by, reason: str, approval_request_id: int | None = None) -> Debt:
    """Close a debt for less than its balance: record the agreed amount, who and why.

    The balance is left as it stood, so the books still show what was
    forgiven (``current_balance − settled_amount``); no payment is accepted
    after this. Needs ``debts.settle_debt``. When the forgiven part is above
    ``APPROVAL_THRESHOLD_UGX`` it raises ``ApprovalRequired`` unless it runs
    as the approved request ``approval_request_id`` (``approval_approve``).
    """
    _require_perm(settled_by, "debts.settle_debt", "settle debts")
    reason = _required_reason(reason, "Say why the debt is settled.")
    amount = _money(settled_amount, "settled_amount")
    debt = _lock_debt(debt_id)
    _check_transition(debt, DebtStatus.SETTLED)
    if debt.status == DebtStatus.SETTLED:
        raise ValidationError({"status": "This debt is already settled."})
    if amount <= 0:
        raise ValidationError({"settled_amount": "The settled amount must be more than zero."})
    if amount > debt.current_balance:
        raise ValidationError(
            {"settled_amount": f"The settled amount {amount} is more than the balance {debt.current_balance}."}
        )
    _refuse_closing_with_pending_payments(debt, "settling it")
    _check_four_eyes(kind="settle", debt=debt, amount=debt.current_balance - amount, actor=settled_by, approval_request_id=approval_request_id)
    debt.status = DebtStatus.SETTLED
    debt.settled_amount = amount
    debt.closed_at = timezone.now()
    debt.closed_by = settled_by
    debt.closed_reason = reason
    set_history_user(debt, settled_by)
    debt._change_reason = f"settled: {reason}"[:100]
    debt.save(update_fields=["status", "settled_amount", "closed_at", "closed_by", "closed_reason", "updated_at"])
    return debt


@transaction.atomic
def debt_write_off(*, debt_id: int, written_off_by, reason: str, approval_request_id: int | None = None) -> Debt:
    """Write a debt off: no more collection, balance kept as the loss. Needs
    ``debts.write_off_debt``. A balance above ``APPROVAL_THRESHOLD_UGX``
    raises ``ApprovalRequired`` unless it runs as the approved request
    ``approval_request_id``."""
    _require_perm(written_off_by, "debts.write_off_debt", "write off debts")
    reason = _required_reason(reason, "Say why the debt is written off.")
    debt = _lock_debt(debt_id)
    if debt.status == DebtStatus.WRITTEN_OFF:
        raise ValidationError({"status": "This debt is already written off."})
    _check_transition(debt, DebtStatus.WRITTEN_OFF)
    _refuse_closing_with_pending_payments(debt, "writing it off")
    _check_four_eyes(kind="write_off", debt=debt, amount=debt.current_balance, actor=written_off_by, approval_request_id=approval_request_id)
    debt.status = DebtStatus.WRITTEN_OFF
    debt.closed_at = timezone.now()
    debt.closed_by = written_off_by
    debt.closed_reason = reason
    set_history_user(debt, written_off_by)
    debt._change_reason = f"written off: {reason}"[:100]
    debt.save(update_fields=["status", "closed_at", "closed_by", "closed_reason", "updated_at"])
    return debt


def debt_check_deletable(*, debt: Debt) -> None:
    """Refuse deleting a debt with payments or one settled or written off."""
    payments = Payment.objects.filter(debt_id=debt.pk).count()
    if payments:
        raise ValidationError(
            f"Debt #{debt.pk} ({debt.loan_id or 'no loan id'}) has {payments} payment(s) and cannot be deleted: "
            f"money has moved on it. Refund or void its payments, settle or write it off instead."
        )
    if debt.status in (DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF):
        raise ValidationError(
            f"Debt #{debt.pk} ({debt.loan_id or 'no loan id'}) is {debt.get_status_display().lower()} and cannot be "
            f"deleted: it is in the books as closed."
        )


@transaction.atomic
def debt_delete(*, debt_id: int, deleted_by=None) -> None:
    """Delete a debt recorded by mistake (no payments, not closed); anything else is refused."""
    debt = _lock_debt(debt_id)
    debt_check_deletable(debt=debt)
    set_history_user(debt, deleted_by)
    debt._change_reason = "deleted (recorded by mistake)"
    debt.delete()
