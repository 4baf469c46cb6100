"""The stored risk verdict (called by the storage service and the
enrichment, which both sit above it): the engine's score and reasons on
``StatementSummary`` (``risk_score``, ``risk_reasons``), and the one signal
only the database can give, the statement request's account.

    summary_risk_fields(summary) -> dict            (columns for StatementSummary)
    prior_reasons(statement) -> list[Reason]        (kept when re-verifying from stored rows)
    statement_account_check(*, statement) -> bool   (account vs customer_details; True when it changed the summary)

The statement's status and tampering level come from the score's band and
the hard rules (README, "Statement risk score"): ``apply_account`` recomputes
them the same way as ``verify.apply_risk``.
"""
from __future__ import annotations

from typing import Any

from django.db import transaction

from statements.engine.evidence import Reason
from statements.engine.forensics import codes
from statements.engine.forensics.score import file_score, risk_score
from statements.engine.forensics.signals import account
from statements.engine.types import Summary
from statements.engine.verify import LEVEL_ORDER, STATUS_ORDER, statement_status
from statements.engine.vocabulary import StatementStatus, TamperingLevel
from statements.models import Statement, StatementSummary


def summary_risk_fields(summary: Summary) -> dict[str, Any]:
    return {"risk_score": summary.risk_score, "risk_reasons": [r.as_dict() for r in summary.risk_reasons]}


def stored_reasons(summary: StatementSummary | None) -> list[Reason]:
    if summary is None:
        return []
    return [Reason.from_dict(item) for item in (summary.risk_reasons or []) if isinstance(item, dict)]


def prior_reasons(statement: Statement) -> list[Reason]:
    """The reasons only the file (or the request) could show, from the stored summary."""
    summary = StatementSummary.objects.filter(statement=statement).first()
    return [r for r in stored_reasons(summary) if r.code in codes.FILE_ONLY]


def account_reasons(statement: Statement) -> list[Reason]:
    details = statement.customer_details
    return account(statement.acc_number, details.acc_number if details is not None else None)


def _verdict(summary: StatementSummary, reasons: list[Reason]) -> StatementStatus:
    """Score, tampering level and status from the reasons, as ``verify.apply_risk`` does."""
    summary.risk_reasons = [r.as_dict() for r in sorted(reasons, key=lambda r: (-r.weight, r.page or 0, r.row or 0))]
    summary.risk_score = risk_score(reasons)
    file_level, _ = codes.band(file_score(reasons))
    current = TamperingLevel(summary.tampering_level or TamperingLevel.NO_ISSUES)
    if LEVEL_ORDER.index(file_level) > LEVEL_ORDER.index(current):
        summary.tampering_level = file_level
    _, score_status = codes.band(summary.risk_score)
    rule_status = statement_status(summary.verification_status, summary.tampering_level)
    return max(rule_status, score_status, key=STATUS_ORDER.index)


@transaction.atomic
def statement_account_check(*, statement: Statement) -> bool:
    """Compare the statement's account with its request's (customer details)
    and store the outcome in its reasons, score and status. True when that
    changed anything. A failed import (no summary) is left alone."""
    summary = StatementSummary.objects.select_for_update().filter(statement_id=statement.pk).first()
    if summary is None:
        return False
    kept = [r for r in stored_reasons(summary) if r.code != codes.ACCOUNT_MISMATCH]
    new = kept + account_reasons(statement)
    if sorted(r.as_dict().items() for r in new) == sorted(r.as_dict().items() for r in stored_reasons(summary)):
        return False
    status = _verdict(summary, new)
    summary.save(update_fields=["risk_score", "risk_reasons", "tampering_level", "updated_at"])
    if statement.status != StatementStatus.IMPORT_FAILED and statement.status != status:
        Statement.objects.filter(pk=statement.pk).update(status=status)
        statement.status = status
    return True


def statements_account_check_many(*, pairs: list[tuple[Statement, Any]]) -> int:
    """``statement_account_check`` for each (statement, its customer details)
    whose account verdict differs from the stored one; one query to find
    them. Returns how many changed."""
    if not pairs:
        return 0
    stored = dict(StatementSummary.objects.filter(statement_id__in=[s.pk for s, _ in pairs]).values_list("statement_id", "risk_reasons"))
    changed = 0
    for statement, details in pairs:
        if statement.pk not in stored:
            continue
        had = any(isinstance(r, dict) and r.get("code") == codes.ACCOUNT_MISMATCH for r in stored[statement.pk] or [])
        wants = bool(account(statement.acc_number, getattr(details, "acc_number", None)))
        if had != wants and statement_account_check(statement=statement):
            changed += 1
    return changed
