"""A person's review decision on a statement, beside the engine's verdict.

    statement_review_record(*, statement_id, decision, note, reviewed_by) -> StatementReview

The engine's verdict (the statement's status, the summary's verification
status and tampering level) moves only through the engine: an import, a
re-verification or a reprocess. A person who disagrees records a decision
here; it is a new row every time (the rows are the history), and it never
changes the verdict.
"""
from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from statements import permissions
from statements.choices import ReviewDecision
from statements.models import Statement, StatementReview

REVIEW_PERMISSION = permissions.REVIEW


# A note is the reviewer's reasons, not a document: bounded at every door.
MAX_NOTE_CHARS = 4000


@transaction.atomic
def statement_review_record(*, statement_id: int, decision: str, note: str, reviewed_by) -> StatementReview:
    """Record ``reviewed_by``'s ``decision`` (accept / reject / escalate) on
    the statement, with ``note`` (required).

    Refuses (``PermissionDenied``) a user without ``statements.review_statement``
    and (``ValidationError``) an unknown decision or a blank note. The
    statement and its summary are read, never written; the decision is also
    logged on the statement's admin history.
    """
    if not permissions.can_review(reviewed_by):
        raise PermissionDenied("Recording a review decision needs the statements.review_statement permission.")
    errors = {}
    if decision not in ReviewDecision.values:
        errors["decision"] = f"Unknown decision {decision!r}: one of {', '.join(ReviewDecision.values)}."
    note = (note or "").strip()
    if not note:
        errors["note"] = "A review decision needs a note saying why."
    elif len(note) > MAX_NOTE_CHARS:
        errors["note"] = f"The note is {len(note):,} characters long; at most {MAX_NOTE_CHARS:,}."
    if errors:
        raise ValidationError(errors)
    # Lock the statement so two decisions on it are ordered, and read the
    # verdict the reviewer is answering.
    statement = Statement.objects.select_for_update().select_related("summary").get(pk=statement_id)
    summary = getattr(statement, "summary", None)
    review = StatementReview.objects.create(
        statement=statement,
        decision=decision,
        note=note,
        reviewed_by=reviewed_by,
        statement_status=statement.status,
        verification_status=getattr(summary, "verification_status", "") or "",
        tampering_level=getattr(summary, "tampering_level", "") or "",
    )
    LogEntry.objects.log_actions(
        user_id=reviewed_by.pk,
        queryset=[statement],
        action_flag=CHANGE,
        change_message=f"Review: {review.get_decision_display()}. {note}",
        single_object=True,
    )
    return review
