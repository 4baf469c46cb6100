"""Private helpers shared by the debts service modules: money parsing, row
locks in the one lock order, and the status-transition check."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from debts import rules
from debts.choices import ApprovalStatus, DebtStatus
from debts.models import ApprovalRequest, Debt, Payment

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


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


def _non_negative_money(fields: dict, names: tuple[str, ...]) -> None:
    """Parse each of ``names`` present (and not None) in ``fields`` in place as money that is not negative."""
    for name in names:
        if fields.get(name) is not None:
            fields[name] = _money(fields[name], name)
            if fields[name] < 0:
                raise ValidationError({name: "Cannot be negative."})


def _require_perm(user, perm: str, what: str) -> None:
    if user is None or not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to {what}.")


# A reason is a sentence or two for the history, not a document: bounded so
# no door (admin form, API body, command) can store megabytes in it.
MAX_REASON_CHARS = 2000


def _required_reason(reason: str | None, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": message})
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError({"reason": f"The reason is {len(reason):,} characters long; at most {MAX_REASON_CHARS:,}."})
    return reason


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


def _check_transition(debt: Debt, to_status: str) -> None:
    """Refuse, as a ValidationError on ``status``, a move ``debts.rules`` does not allow."""
    if to_status not in DebtStatus.values:
        raise ValidationError({"status": f"Unknown debt status {to_status!r}."})
    if not rules.can_transition(debt.status, to_status):
        raise ValidationError(
            {"status": f"A {debt.get_status_display().lower()} debt cannot become {DebtStatus(to_status).label.lower()}."}
        )


def _status_after_balance_change(debt: Debt) -> str:
    """The status ``debt`` takes at its current balance (``debts.rules``), with the configured default threshold."""
    return DebtStatus(
        rules.status_after_balance_change(
            status=debt.status,
            balance=debt.current_balance,
            days_past_due=debt.days_past_due,
            default_after_days=settings.DELINQUENCY_DEFAULT_AFTER_DAYS,
        )
    )


class ApprovalRequired(ValidationError):
    """A settle, write-off or refund above ``APPROVAL_THRESHOLD_UGX`` asked for
    without an approved request. Doors catch it and file an
    ``ApprovalRequest`` instead (``debts.services.approvals``)."""

    def __init__(self, *, kind: str, amount: Decimal, threshold: Decimal):
        self.kind, self.amount, self.threshold = kind, amount, threshold
        super().__init__({"approval": f"{amount:,.2f} is above the approval threshold of {threshold:,.0f}: "
                                      f"another person with the approve permission must approve it."})


def approval_threshold() -> Decimal:
    return Decimal(settings.APPROVAL_THRESHOLD_UGX)


def _check_four_eyes(*, kind: str, debt: Debt, amount: Decimal, actor, approval_request_id: int | None,
                     payment: Payment | None = None) -> None:
    """Let a settle / write-off / refund of ``amount`` at stake go ahead: at or
    below the threshold always; above it only as the approved request
    ``approval_request_id``, carried out by the person who approved it (not
    the requester). Raises ApprovalRequired (above it, no request) or a
    ValidationError (a request that does not fit)."""
    if approval_request_id is None:
        threshold = approval_threshold()
        if amount > threshold:
            raise ApprovalRequired(kind=kind, amount=amount, threshold=threshold)
        return
    request = ApprovalRequest.objects.filter(pk=approval_request_id).first()
    fits = (
        request is not None
        and request.status == ApprovalStatus.APPROVED
        and request.kind == kind
        and request.debt_id == debt.pk
        and request.payment_id == (payment.pk if payment is not None else None)
        and request.decided_by_id == getattr(actor, "pk", None)
        and request.requested_by_id != getattr(actor, "pk", None)
    )
    if not fits:
        raise ValidationError({"approval": f"Approval request #{approval_request_id} does not approve this {kind.replace('_', ' ')}."})
