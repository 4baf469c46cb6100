"""Writes to debts, payments, communication logs and promises.

Every path that moves money or records a contact (admin, API, tasks,
commands) calls a function here.

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
  no-op that answers the payment as it stands.

Errors a user can fix raise ``django.core.exceptions.ValidationError`` with
a message naming the field; admin and API show it as is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Func, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from debts.choices import CommunicationDirection, CommunicationType, DebtStatus, PaymentStatus, PromiseStatus
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# Debts that still owe money and are being worked.
OPEN_STATUSES = (DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED)
# Closed by agreement or decision: no payment is accepted any more.
FINAL_STATUSES = (DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF)

# The explicit transition table. PAID_OFF can be left only by a refund
# (the debt reopens); SETTLED and WRITTEN_OFF are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    DebtStatus.ACTIVE: frozenset({DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED, DebtStatus.PAID_OFF, DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF}),
    DebtStatus.IN_COLLECTION: frozenset({DebtStatus.ACTIVE, DebtStatus.DEFAULTED, DebtStatus.PAID_OFF, DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF}),
    DebtStatus.DEFAULTED: frozenset({DebtStatus.IN_COLLECTION, DebtStatus.ACTIVE, DebtStatus.PAID_OFF, DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF}),
    DebtStatus.PAID_OFF: frozenset({DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED}),
    DebtStatus.SETTLED: frozenset(),
    DebtStatus.WRITTEN_OFF: frozenset(),
}

# Fields a debt update may change. Balance and status move only through
# payments and the transition functions below.
DEBT_EDITABLE_FIELDS = frozenset({
    "debt_type", "interest_rate", "minimum_payment", "due_amount", "currency", "issue_date", "due_date",
    "account_number", "reference_number", "state", "cluster", "branch", "branch_contact", "employee_name",
    "employee_id", "employee_contact", "notes", "loan_id",
})


# --------------------------------------------------------------------------
# helpers


def _money(value, field: str) -> Decimal:
    """``value`` as a Decimal with two places, or a ValidationError naming ``field``.

    A float is read through its shortest repr (19.99 stays 19.99, never
    19.989999…); anything with more than two decimal places is refused.
    """
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not amount.is_finite():
            raise InvalidOperation
        rounded = amount.quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: f"{value!r} is not an amount of money."}) from None
    if amount != rounded:
        raise ValidationError({field: f"{amount} has more than two decimal places."})
    if abs(rounded) >= Decimal("1e14"):
        raise ValidationError({field: f"{amount} is too large."})
    return rounded


def _set_history_user(obj, user) -> None:
    # simple-history takes the user from the request; tasks and commands
    # have none, so a service given an actor passes it on explicitly.
    if user is not None and getattr(user, "pk", None):
        obj._history_user = user


def _require_perm(user, perm: str, what: str) -> None:
    if user is None or not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to {what}.")


def _lock_debt(debt_id: int) -> Debt:
    try:
        return Debt.objects.select_for_update().get(pk=debt_id)
    except Debt.DoesNotExist:
        raise ValidationError({"debt": f"Debt #{debt_id} does not exist."}) from None


def _lock_payment_and_debt(payment_id: int) -> tuple[Payment, Debt]:
    # A payment's debt never changes, so reading it unlocked is safe; the
    # debt is then locked before the payment (the one lock order).
    debt_id = Payment.objects.filter(pk=payment_id).values_list("debt_id", flat=True).first()
    if debt_id is None:
        raise ValidationError({"payment": f"Payment #{payment_id} does not exist."})
    debt = _lock_debt(debt_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return payment, debt


def _local_date(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _reopened_status(debt: Debt) -> str:
    threshold = settings.DELINQUENCY_DEFAULT_AFTER_DAYS
    return DebtStatus.DEFAULTED if debt.days_past_due > threshold else DebtStatus.ACTIVE


def _check_transition(debt: Debt, to_status: str) -> None:
    if to_status not in DebtStatus.values:
        raise ValidationError({"status": f"Unknown debt status {to_status!r}."})
    if to_status != debt.status and to_status not in TRANSITIONS[debt.status]:
        raise ValidationError(
            {"status": f"A {debt.get_status_display().lower()} debt cannot become {DebtStatus(to_status).label.lower()}."}
        )


# --------------------------------------------------------------------------
# debts


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
    from customers.models import Customer

    unknown = set(fields) - DEBT_EDITABLE_FIELDS - {"source_upload", "source_upload_id", "last_payment_date", "last_payment_amount", "status"}
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
    status = fields.pop("status", None) or (DebtStatus.ACTIVE if balance > 0 else DebtStatus.PAID_OFF)
    if status not in (*OPEN_STATUSES, DebtStatus.PAID_OFF):
        raise ValidationError({"status": "A new debt is active, in collection, defaulted or paid off; settle or write it off afterwards."})
    if status == DebtStatus.PAID_OFF and balance > 0:
        raise ValidationError({"status": "A debt with a balance cannot be paid off."})
    loan_id = fields.get("loan_id") or None
    fields["loan_id"] = loan_id
    if loan_id and Debt.objects.filter(loan_id=loan_id).exists():
        raise ValidationError({"loan_id": f"A debt with loan id {loan_id!r} already exists."})
    for name in ("minimum_payment", "due_amount", "last_payment_amount"):
        if fields.get(name) is not None:
            fields[name] = _money(fields[name], name)
            if fields[name] < 0:
                raise ValidationError({name: "Cannot be negative."})
    debt = Debt(
        customer_id=customer_id,
        debt_type=debt_type,
        original_amount=original,
        current_balance=balance,
        issue_date=issue_date or timezone.localdate(),
        status=status,
        **fields,
    )
    _set_history_user(debt, created_by)
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
    for name in ("minimum_payment", "due_amount"):
        if data.get(name) is not None:
            data[name] = _money(data[name], name)
            if data[name] < 0:
                raise ValidationError({name: "Cannot be negative."})
    if "loan_id" in data:
        data["loan_id"] = data["loan_id"] or None
        if data["loan_id"] and Debt.objects.filter(loan_id=data["loan_id"]).exclude(pk=debt.pk).exists():
            raise ValidationError({"loan_id": f"A debt with loan id {data['loan_id']!r} already exists."})
    for name, value in data.items():
        setattr(debt, name, value)
    _set_history_user(debt, updated_by)
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
    _set_history_user(debt, changed_by)
    debt._change_reason = reason or None
    debt.save(update_fields=["status", "updated_at"])
    return debt


@transaction.atomic
def debt_settle(*, debt_id: int, settled_amount, settled_by, reason: str) -> Debt:
    """Close a debt for less than its balance: record the agreed amount, who and why.

    The balance is left as it stood, so the books still show what was
    forgiven (``current_balance − settled_amount``); no payment is accepted
    after this. Needs ``debts.settle_debt``.
    """
    _require_perm(settled_by, "debts.settle_debt", "settle debts")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the debt is settled."})
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
    if Payment.objects.filter(debt_id=debt.pk, status=PaymentStatus.PENDING).exists():
        raise ValidationError({"status": "Complete or fail the debt's pending payments before settling it."})
    debt.status = DebtStatus.SETTLED
    debt.settled_amount = amount
    debt.closed_at = timezone.now()
    debt.closed_by = settled_by
    debt.closed_reason = reason
    _set_history_user(debt, settled_by)
    debt._change_reason = f"settled: {reason}"[:100]
    debt.save(update_fields=["status", "settled_amount", "closed_at", "closed_by", "closed_reason", "updated_at"])
    return debt


@transaction.atomic
def debt_write_off(*, debt_id: int, written_off_by, reason: str) -> Debt:
    """Write a debt off: no more collection, balance kept as the loss. Needs ``debts.write_off_debt``."""
    _require_perm(written_off_by, "debts.write_off_debt", "write off debts")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the debt is written off."})
    debt = _lock_debt(debt_id)
    if debt.status == DebtStatus.WRITTEN_OFF:
        raise ValidationError({"status": "This debt is already written off."})
    _check_transition(debt, DebtStatus.WRITTEN_OFF)
    if Payment.objects.filter(debt_id=debt.pk, status=PaymentStatus.PENDING).exists():
        raise ValidationError({"status": "Complete or fail the debt's pending payments before writing it off."})
    debt.status = DebtStatus.WRITTEN_OFF
    debt.closed_at = timezone.now()
    debt.closed_by = written_off_by
    debt.closed_reason = reason
    _set_history_user(debt, written_off_by)
    debt._change_reason = f"written off: {reason}"[:100]
    debt.save(update_fields=["status", "closed_at", "closed_by", "closed_reason", "updated_at"])
    return debt


# --------------------------------------------------------------------------
# payments


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


def _apply_completion(payment: Payment, debt: Debt, by) -> None:
    debt.current_balance = debt.current_balance - payment.amount
    paid_on = _local_date(payment.payment_date)
    if debt.last_payment_date is None or paid_on >= debt.last_payment_date:
        debt.last_payment_date = paid_on
        debt.last_payment_amount = payment.amount
    fields = ["current_balance", "last_payment_date", "last_payment_amount", "updated_at"]
    if debt.current_balance == 0:
        _check_transition(debt, DebtStatus.PAID_OFF)
        debt.status = DebtStatus.PAID_OFF
        debt.days_past_due = 0
        fields += ["status", "days_past_due"]
    _set_history_user(debt, by)
    debt._change_reason = f"payment #{payment.pk} completed"
    debt.save(update_fields=fields)
    payment.status = PaymentStatus.COMPLETED
    payment.completed_at = timezone.now()
    _set_history_user(payment, by)
    payment.save(update_fields=["status", "completed_at", "updated_at"])


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
    """Record a payment, PENDING or already COMPLETED (seed 002: a payment
    created COMPLETED reduces the balance at once).

    Replaying a ``transaction_id`` returns the payment already recorded under
    it, provided it is for the same debt and amount; otherwise it is refused.
    """
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be more than zero."})
    if status not in (PaymentStatus.PENDING, PaymentStatus.COMPLETED):
        raise ValidationError({"status": "A new payment is PENDING or COMPLETED."})
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
    _set_history_user(payment, recorded_by)
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
    _set_history_user(payment, failed_by)
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    return payment


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
    if debt.status == DebtStatus.PAID_OFF:
        debt.status = _reopened_status(debt)
        fields.append("status")
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    payment.refund_reason = reason or ""
    payment.refunded_by = refunded_by if getattr(refunded_by, "pk", None) else None
    _set_history_user(payment, refunded_by)
    payment.save(update_fields=["status", "refunded_at", "refund_reason", "refunded_by", "updated_at"])
    # Last payment is what the customer last paid and kept.
    last = (
        Payment.objects.filter(debt_id=debt.pk, status=PaymentStatus.COMPLETED)
        .order_by("-payment_date", "-id")
        .values_list("payment_date", "amount")
        .first()
    )
    debt.last_payment_date, debt.last_payment_amount = (_local_date(last[0]), last[1]) if last else (None, None)
    _set_history_user(debt, refunded_by)
    debt._change_reason = f"payment #{payment.pk} refunded"
    debt.save(update_fields=fields)
    return payment


PAYMENT_EDITABLE_WHILE_PENDING = frozenset({"amount", "payment_date", "payment_method", "transaction_id", "notes"})


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
    _set_history_user(payment, updated_by)
    payment.save()
    return payment


# --------------------------------------------------------------------------
# communication logs and promises


@transaction.atomic
def communication_log_create(
    *,
    customer_id: int,
    communication_type: str,
    direction: str = CommunicationDirection.OUTBOUND,
    timestamp: datetime | None = None,
    debt_id: int | None = None,
    call_session_id: int | None = None,
    duration_seconds: int | None = None,
    contact_phone: str = "",
    contact_email: str = "",
    outcome: str = "",
    notes: str = "",
    agent_id: str = "",
    agent_user=None,
) -> CommunicationLog:
    """Record one contact with a customer and move their last contact date.

    A call session produces at most one log (database constraint); calling
    this again for the same ``call_session_id`` returns the existing log.
    ``agent_id`` defaults to the agent user's username.
    """
    from customers.models import Customer
    from customers.services import customer_record_contact
    from core.phones import try_normalize_phone

    if communication_type not in CommunicationType.values:
        raise ValidationError({"communication_type": f"Unknown communication type {communication_type!r}; use one of {', '.join(CommunicationType.values)}."})
    if direction not in CommunicationDirection.values:
        raise ValidationError({"direction": f"Unknown direction {direction!r}; use inbound or outbound."})
    if duration_seconds is not None and int(duration_seconds) < 0:
        raise ValidationError({"duration_seconds": "The duration cannot be negative."})
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": f"Customer #{customer_id} does not exist."})
    if debt_id is not None and not Debt.objects.filter(pk=debt_id, customer_id=customer_id).exists():
        raise ValidationError({"debt": f"Debt #{debt_id} is not a debt of customer #{customer_id}."})
    if call_session_id is not None:
        existing = CommunicationLog.objects.filter(call_session_id=call_session_id).first()
        if existing:
            return existing
    if contact_phone:
        # A contact that happened is logged whatever the number looked like:
        # E.164 when it can be read, else as given.
        contact_phone = try_normalize_phone(contact_phone) or str(contact_phone).strip()[:20]
    if not agent_id and getattr(agent_user, "pk", None):
        agent_id = agent_user.get_username()
    timestamp = timestamp or timezone.now()
    log = CommunicationLog(
        customer_id=customer_id,
        debt_id=debt_id,
        call_session_id=call_session_id,
        communication_type=communication_type,
        direction=direction,
        timestamp=timestamp,
        duration_seconds=duration_seconds,
        contact_phone=contact_phone or "",
        contact_email=contact_email or "",
        outcome=outcome or "",
        notes=notes or "",
        agent_id=agent_id or "",
        agent_user=agent_user if getattr(agent_user, "pk", None) else None,
    )
    log.full_clean(exclude=["customer", "debt", "call_session", "agent_user"], validate_unique=False, validate_constraints=False)
    if call_session_id is not None:
        try:
            with transaction.atomic():
                log.save()
        except IntegrityError:
            # The provider's webhook and the reconciler finished the same call.
            return CommunicationLog.objects.get(call_session_id=call_session_id)
    else:
        log.save()
    customer_record_contact(customer_id=customer_id, when=timestamp)
    return log


COMMUNICATION_LOG_EDITABLE = frozenset({"outcome", "notes", "duration_seconds", "contact_email", "debt"})


@transaction.atomic
def communication_log_update(*, log_id: int, data: dict) -> CommunicationLog:
    """Correct a log's outcome or notes. When and with whom it happened stay as recorded."""
    refused = set(data) - COMMUNICATION_LOG_EDITABLE
    if refused:
        raise ValidationError({name: "Cannot be changed after the contact is logged." for name in sorted(refused)})
    log = CommunicationLog.objects.select_for_update().get(pk=log_id)
    if "debt" in data:
        debt = data.pop("debt")
        debt_id = getattr(debt, "pk", debt)
        if debt_id is not None and not Debt.objects.filter(pk=debt_id, customer_id=log.customer_id).exists():
            raise ValidationError({"debt": f"Debt #{debt_id} is not a debt of customer #{log.customer_id}."})
        log.debt_id = debt_id
    for name, value in data.items():
        setattr(log, name, value)
    log.full_clean(exclude=["customer", "debt", "call_session", "agent_user"], validate_unique=False, validate_constraints=False)
    log.save()
    return log


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


# --------------------------------------------------------------------------
# delinquency


class DaysSince(Func):
    """Whole days from a date column to a fixed ``today`` (positive when the column is earlier)."""

    output_field = IntegerField()

    def __init__(self, expression, today: date):
        super().__init__(Value(today), expression)

    def as_mysql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="DATEDIFF(%(expressions)s)", arg_joiner=", ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)", arg_joiner=") - julianday(", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner="::date - ", **extra)


@dataclass
class DelinquencyResult:
    today: date
    threshold_days: int
    debts_scanned: int = 0
    days_past_due_changed: int = 0
    moved_to_defaulted: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    seconds: float = 0.0


def _past_due_expression(today: date):
    """``days_past_due`` as SQL: days since ``due_date`` for an open debt that
    still owes money and has not paid the instalment due, else 0.

    An instalment counts as paid when the last payment came on or after the
    due date and covered the amount due (``due_amount``, else
    ``minimum_payment``, else any payment).
    """
    paid_since_due = Q(last_payment_date__isnull=False, last_payment_date__gte=F("due_date")) & (
        Q(last_payment_amount__gte=Coalesce(F("due_amount"), F("minimum_payment"), Value(ZERO)))
    )
    return Case(
        When(Q(status__in=OPEN_STATUSES, current_balance__gt=0, due_date__lt=today) & ~paid_since_due, then=DaysSince(F("due_date"), today)),
        default=Value(0),
        output_field=IntegerField(),
    )


def debts_update_delinquency(
    *,
    today: date | None = None,
    default_after_days: int | None = None,
    batch_size: int = 50_000,
    progress=None,
) -> DelinquencyResult:
    """Recompute ``days_past_due`` for every debt, default the ones past the
    threshold, and judge due promises kept or broken.

    Set-based: one UPDATE per batch of ``batch_size`` ids (a primary-key
    range), each in its own short transaction so payments are never blocked
    for long; a debt whose value is already right is not written. Idempotent.
    ``progress`` is called with the number of ids covered after each batch.
    """
    import time

    started = time.monotonic()
    today = today or timezone.localdate()
    threshold = default_after_days if default_after_days is not None else settings.DELINQUENCY_DEFAULT_AFTER_DAYS
    result = DelinquencyResult(today=today, threshold_days=threshold)
    bounds = Debt.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is not None:
        dpd = _past_due_expression(today)
        now = timezone.now()
        lo = bounds["lo"]
        while lo <= bounds["hi"]:
            hi = lo + batch_size - 1
            with transaction.atomic():
                in_batch = Debt.objects.filter(id__gte=lo, id__lte=hi)
                result.days_past_due_changed += in_batch.exclude(days_past_due=dpd).update(days_past_due=dpd, updated_at=now)
                to_default = in_batch.filter(
                    status__in=(DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION), days_past_due__gt=threshold
                )
                result.moved_to_defaulted += _record_history_then_update(
                    to_default, status=DebtStatus.DEFAULTED, reason=f"update_delinquency: over {threshold} days past due", now=now
                )
            if progress:
                progress(min(hi, bounds["hi"]) - lo + 1)
            lo = hi + 1
        result.debts_scanned = Debt.objects.count()
    kept, broken = promises_evaluate(today=today)
    result.promises_kept, result.promises_broken = kept, broken
    result.seconds = time.monotonic() - started
    return result


def _record_history_then_update(queryset, *, status: str, reason: str, now) -> int:
    """UPDATE ``status`` on ``queryset`` and write one audit-history row per
    debt that moved, both set-based (INSERT … SELECT, then UPDATE).

    The history rows are built from the rows as they will be after the
    update, like simple-history's own post-save rows.
    """
    from django.db import connection

    history_model = Debt.history.model
    table = connection.ops.quote_name(history_model._meta.db_table)
    tracked = [f for f in history_model._meta.concrete_fields if not f.name.startswith("history_")]
    columns, selects, params = [], [], []
    for field in tracked:
        column = connection.ops.quote_name(field.column)
        columns.append(column)
        if field.name == "status":
            selects.append("%s")
            params.append(status)
        elif field.name == "updated_at":
            selects.append("%s")
            params.append(connection.ops.adapt_datetimefield_value(now))
        else:
            selects.append(column)
    columns += ["history_date", "history_change_reason", "history_type", "history_user_id"]
    selects += ["%s", "%s", "'~'", "NULL"]
    params += [connection.ops.adapt_datetimefield_value(now), reason[:100]]
    where_sql, where_params = queryset.values("id").query.sql_with_params()
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} FROM {connection.ops.quote_name(Debt._meta.db_table)} "
        f"WHERE id IN (SELECT id FROM ({where_sql}) AS moving)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
    return queryset.update(status=status, updated_at=now)


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
    from django.db.models import DateTimeField, ExpressionWrapper

    return ExpressionWrapper(date_expr + Value(timedelta(days=1) - utc_offset), output_field=DateTimeField())
