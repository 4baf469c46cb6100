"""The review queue: a reviewer's decision on a loan-book line that waits for review.

A line waits (status ``needs_review``, an ``UploadRowReview`` saying why and
who the candidate is) when matching would otherwise have guessed: a
phone-only match whose name disagrees, a loan of another customer or
reached under another phone, or a balance change by an uploader without
``debts.sync_balances``. ``upload_row_resolve`` applies the decision:

* ``attach``: the line is applied to the candidate customer (and its loan);
* ``new_customer``: the line is applied to a new customer (not for a loan
  that belongs to someone already);
* ``reject``: nothing is applied; the line is ``rejected``.

Applying goes through the same matching rules and writer as the import
(``uploads.matching``, ``_write``), so the status rule of ``debts.rules``
applies and history rows are written for the customer and the loan. The
decision itself is a history row of the review (django-simple-history).
The admin actions, ``POST /api/v1/uploads/rows/{id}/resolve/`` and tests
all call this.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.history import set_history_user
from customers.models import Customer
from uploads.choices import Decision, RowStatus
from uploads.matching import CustomerRecord, DebtRecord, Line, Matcher, ReviewNeeded
from uploads.models import FileUpload, UploadRow, UploadRowReview
from uploads.services._write import parsed_row, write_history, write_matches
from uploads.services.accept import FINAL_STATUSES
from uploads.services.process import load_index, recount

SYNC_BALANCES_PERMISSION = "debts.sync_balances"
RESOLVE_PERMISSION = "uploads.resolve_uploadrow"
MAX_NOTE_LENGTH = 2000


def _nid_hash(national_id: str) -> str | None:
    return Customer._meta.get_field("national_id_hash").compute(national_id) if national_id else None


@transaction.atomic
def upload_row_resolve(*, row_id: int, decision: str, user, note: str = "") -> UploadRow:
    """Apply ``decision`` to the line ``row_id`` waiting for review; return the line.

    Raises ``PermissionDenied`` when ``user`` may not resolve lines (or may
    not move the balance the line moves), ``ValidationError`` when the line
    is not waiting for review or the decision does not fit it.
    """
    if user is None or not user.has_perm(RESOLVE_PERMISSION):
        raise PermissionDenied("Resolving upload lines needs the uploads.resolve_uploadrow permission (Ops admin).")
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Unknown decision {decision!r}; use one of {', '.join(Decision.values)}."})
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": f"The note is longer than {MAX_NOTE_LENGTH:,} characters."})
    row = UploadRow.objects.select_for_update().select_related("file_upload").get(pk=row_id)
    review = UploadRowReview.objects.select_for_update().filter(row=row).first()
    if row.status != RowStatus.NEEDS_REVIEW or review is None or review.decision:
        raise ValidationError({"decision": f"Line {row.line_number} of upload #{row.file_upload_id} is not waiting for review."})
    now = timezone.now()
    if decision == Decision.REJECT:
        row.status = RowStatus.REJECTED
        row.error = f"rejected in review by {user}: {note or review.reason}"[:5000]
    else:
        _apply(row, review, decision, user, now)
    row.processed_at = now
    row.save()
    review.decision, review.decided_by, review.decided_at, review.note = decision, user, now, note
    set_history_user(review, user)
    review._change_reason = f"{decision} by {user}"[:100]
    review.save()
    _recount(row.file_upload)
    return row


def _apply(row: UploadRow, review: UploadRowReview, decision: str, user, now) -> None:
    upload: FileUpload = row.file_upload
    parsed = parsed_row(review.values)
    line = Line(parsed, row.row_fingerprint, _nid_hash(parsed.national_id))
    candidate_id = review.candidate_customer_id
    index = load_index([line], customer_ids=frozenset({candidate_id}) if candidate_id else frozenset())
    matcher = Matcher(
        index, upload.uploaded_at, settings.DEFAULT_CURRENCY, settings.DELINQUENCY_DEFAULT_AFTER_DAYS,
        may_sync_balances=user.has_perm(SYNC_BALANCES_PERMISSION),
    )
    try:
        outcome = matcher.resolve(line, decision, candidate_id)
    except ReviewNeeded as exc:
        if "debts.sync_balances" in str(exc):
            raise PermissionDenied(str(exc)) from None
        raise ValidationError({"decision": str(exc)}) from None
    write_matches(index, upload, now)
    write_history(index, now, user_id=user.pk, reason=f"upload #{upload.pk} line {row.line_number}: {decision}")
    customer, debt = outcome.customer, outcome.debt
    row.status = outcome.status
    row.match_method = outcome.method
    row.matched_customer_id = customer.pk if isinstance(customer, CustomerRecord) else customer
    row.matched_debt_id = debt.pk if isinstance(debt, DebtRecord) else debt
    row.error = ""


def _recount(upload: FileUpload) -> None:
    """The upload's counts after a decision; an import still running keeps its status (it finishes it)."""
    locked = FileUpload.objects.select_for_update().get(pk=upload.pk)
    status = locked.status
    recount(locked)
    if status not in FINAL_STATUSES:
        locked.status = status
    locked.save()
