"""Four eyes on settle, write-off and refund.

Above ``APPROVAL_THRESHOLD_UGX`` of money at stake (a settlement's forgiven
part, a written-off balance, a refunded payment) one person asks
(:func:`approval_request_create`) and another, holding
``debts.approve_request`` and never the one who asked, approves
(:func:`approval_approve`) or rejects (:func:`approval_reject`). Nothing
moves until the approval, which then runs the same ``debt_settle`` /
``debt_write_off`` / ``payment_refund`` service every door uses, as the
approver; those services refuse to act above the threshold any other way.
Every step is a history row of the request (and of the debt or payment).

The doors (admin actions, API actions) call :func:`settle_or_request`,
:func:`write_off_or_request` and :func:`refund_or_request`: the action at or
below the threshold, a request above it.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.history import set_history_user
from debts.choices import ApprovalKind, ApprovalStatus
from debts.models import ApprovalRequest, Debt, Payment
from debts.services._common import ApprovalRequired, _money, _require_perm, _required_reason
from debts.services.debts import debt_settle, debt_write_off
from debts.services.payments import payment_refund

# The permission each kind needs from the requester (and from the approver,
# who carries it out).
KIND_PERMISSION = {
    ApprovalKind.SETTLE: "debts.settle_debt",
    ApprovalKind.WRITE_OFF: "debts.write_off_debt",
    ApprovalKind.REFUND: "debts.refund_payment",
}
MAX_NOTE_CHARS = 2000


def _note(note: str | None, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": "Say why the request is rejected."})
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError({"note": f"The note is {len(note):,} characters long; at most {MAX_NOTE_CHARS:,}."})
    return note


@transaction.atomic
def approval_request_create(
    *, kind: str, requested_by, reason: str, debt_id: int | None = None, payment_id: int | None = None, settled_amount=None
) -> ApprovalRequest:
    """Ask for a settle (``debt_id``, ``settled_amount``), write-off
    (``debt_id``) or refund (``payment_id``). The requester needs the
    permission the action itself needs. Refused when the same thing is
    already pending for the debt (or payment). Moves no money."""
    if kind not in ApprovalKind.values:
        raise ValidationError({"kind": f"Use one of: {', '.join(ApprovalKind.values)}."})
    _require_perm(requested_by, KIND_PERMISSION[kind], f"ask to {ApprovalKind(kind).label.lower()}")
    reason = _required_reason(reason, "Say why.")
    payment = None
    if kind == ApprovalKind.REFUND:
        payment = Payment.objects.filter(pk=payment_id).first() if payment_id is not None else None
        if payment is None:
            raise ValidationError({"payment": "Name the payment to refund."})
        debt_id = payment.debt_id
    debt = Debt.objects.select_for_update().filter(pk=debt_id).first() if debt_id is not None else None
    if debt is None:
        raise ValidationError({"debt": "Name the debt."})
    settled = None
    if kind == ApprovalKind.SETTLE:
        settled = _money(settled_amount, "settled_amount") if settled_amount is not None else None
        if settled is None or settled <= 0 or settled > debt.current_balance:
            raise ValidationError({"settled_amount": f"A settled amount more than zero and at most the balance {debt.current_balance}."})
        amount = debt.current_balance - settled
    elif kind == ApprovalKind.WRITE_OFF:
        amount = debt.current_balance
    else:
        amount = payment.amount
    pending = ApprovalRequest.objects.filter(kind=kind, debt_id=debt.pk, payment=payment, status=ApprovalStatus.PENDING).first()
    if pending:
        raise ValidationError({"approval": f"Request #{pending.pk} for this is already waiting for approval."})
    request = ApprovalRequest(
        kind=kind, debt=debt, payment=payment, amount=amount, settled_amount=settled, reason=reason, requested_by=requested_by
    )
    set_history_user(request, requested_by)
    request._change_reason = "requested"
    request.save()
    return request


def _lock_pending(request_id: int, decided_by) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise ValidationError({"approval": f"Approval request #{request_id} does not exist."})
    _require_perm(decided_by, "debts.approve_request", "approve or reject requests")
    if request.requested_by_id == getattr(decided_by, "pk", None):
        raise PermissionDenied("You asked for this; another person must approve or reject it (four eyes).")
    if request.status != ApprovalStatus.PENDING:
        raise ValidationError({"status": f"Request #{request.pk} is already {request.get_status_display().lower()}."})
    return request


@transaction.atomic
def approval_approve(*, request_id: int, decided_by, note: str = "") -> ApprovalRequest:
    """Approve a pending request and carry it out, as ``decided_by`` (who needs
    ``debts.approve_request`` and the action's own permission, and is not the
    requester). If the action is refused now (the debt moved on since), the
    request ends FAILED with the reason in its note and nothing moves."""
    request = _lock_pending(request_id, decided_by)
    _require_perm(decided_by, KIND_PERMISSION[request.kind], f"{ApprovalKind(request.kind).label.lower()}")
    note = _note(note, required=False)
    request.status, request.decided_by, request.decided_at, request.note = ApprovalStatus.APPROVED, decided_by, timezone.now(), note
    set_history_user(request, decided_by)
    request._change_reason = "approved"
    request.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
    # The action's reason names the request; bounded like every reason.
    reason = f"{request.reason[:1800]} (approval #{request.pk}, asked by {request.requested_by.get_username()})"
    try:
        with transaction.atomic():
            if request.kind == ApprovalKind.SETTLE:
                debt_settle(debt_id=request.debt_id, settled_amount=request.settled_amount, settled_by=decided_by, reason=reason,
                            approval_request_id=request.pk)
            elif request.kind == ApprovalKind.WRITE_OFF:
                debt_write_off(debt_id=request.debt_id, written_off_by=decided_by, reason=reason, approval_request_id=request.pk)
            else:
                payment_refund(payment_id=request.payment_id, refunded_by=decided_by, reason=reason, approval_request_id=request.pk)
    except ValidationError as error:
        request.status = ApprovalStatus.FAILED
        request.note = _note(f"{note}\nRefused when carried out: {'; '.join(error.messages)}".strip(), required=False)[:MAX_NOTE_CHARS]
        request._change_reason = "failed when carried out"
        request.save(update_fields=["status", "note", "updated_at"])
    return request


@transaction.atomic
def approval_reject(*, request_id: int, decided_by, note: str) -> ApprovalRequest:
    """Reject a pending request (a note saying why is required). Nothing moves."""
    request = _lock_pending(request_id, decided_by)
    request.status, request.decided_by, request.decided_at, request.note = (
        ApprovalStatus.REJECTED, decided_by, timezone.now(), _note(note, required=True)
    )
    set_history_user(request, decided_by)
    request._change_reason = "rejected"
    request.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
    return request


def settle_or_request(*, debt_id: int, settled_amount, user, reason: str) -> tuple[Debt | None, ApprovalRequest | None]:
    """The settle door: settle now at or below the threshold, else file a request. Answers (debt, None) or (None, request)."""
    try:
        return debt_settle(debt_id=debt_id, settled_amount=settled_amount, settled_by=user, reason=reason), None
    except ApprovalRequired:
        return None, approval_request_create(
            kind=ApprovalKind.SETTLE, debt_id=debt_id, settled_amount=settled_amount, reason=reason, requested_by=user
        )


def write_off_or_request(*, debt_id: int, user, reason: str) -> tuple[Debt | None, ApprovalRequest | None]:
    """The write-off door: as :func:`settle_or_request`."""
    try:
        return debt_write_off(debt_id=debt_id, written_off_by=user, reason=reason), None
    except ApprovalRequired:
        return None, approval_request_create(kind=ApprovalKind.WRITE_OFF, debt_id=debt_id, reason=reason, requested_by=user)


def refund_or_request(*, payment_id: int, user, reason: str) -> tuple[Payment | None, ApprovalRequest | None]:
    """The refund door: as :func:`settle_or_request`."""
    try:
        return payment_refund(payment_id=payment_id, refunded_by=user, reason=reason), None
    except ApprovalRequired:
        return None, approval_request_create(kind=ApprovalKind.REFUND, payment_id=payment_id, reason=reason, requested_by=user)

