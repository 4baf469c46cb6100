"""The stored risk verdict (called by the storage service and the
enrichment, which both sit above it): the engine's score and reasons on
``StatementSummary`` (``risk_score``, ``risk_reasons``), and the signals
only the database can give (``codes.REQUEST_SIGNALS``): the statement
request's account, and money to or from the holder's own other numbers.

    summary_risk_fields(summary) -> dict            (columns for StatementSummary)
    prior_reasons(statement) -> list[Reason]        (kept when re-verifying from stored rows)
    holder_other_numbers(statement) -> dict         (E.164 -> where the back office knows it from)
    statement_request_check(*, statement) -> bool   (both request signals; True when it changed the summary)

The statement's status and tampering level come from the score's band and
the hard rules (README, "Statement risk score"): ``apply_account`` recomputes
them the same way as ``verify.apply_risk``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Min, Q, Sum

from core.phones import try_normalize_phone
from customers.models import Customer
from statements.engine.evidence import Reason
from statements.engine.forensics import codes
from statements.engine.forensics.roundtrip import Flow, flows_by_number, own_number_transfers
from statements.engine.forensics.score import file_score, risk_score
from statements.engine.forensics.signals import account
from statements.engine.types import Summary
from statements.engine.verify import LEVEL_ORDER, STATUS_ORDER, statement_status
from statements.engine.vocabulary import StatementStatus, TamperingLevel
from statements.models import ProcessedTransaction, Statement, StatementSummary
from statements.selectors import NOT_MOVING_KINDS

_UNSET: Any = object()


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


def e164(number: str | None) -> str | None:
    """A number as ``core.phones`` stores it, or None when it is not a phone
    (a merchant code such as ``4391279``)."""
    text = (number or "").strip()
    if not text or sum(ch.isdigit() for ch in text) < 9:
        return None
    return try_normalize_phone(text)


def holder_other_numbers(statement: Statement, *, details: Any = _UNSET, phones: tuple[str, str] | None = None) -> dict[str, str]:
    """The account holder's numbers other than the statement's own account,
    as the back office knows them: the linked Customer's primary and
    secondary phones and the statement request's (customer details')
    alternate account. E.164 -> where it is known from. ``details`` and
    ``phones`` (the customer's (primary, secondary)) may be given when
    already loaded."""
    if phones is None and statement.customer_id:
        phones = Customer.objects.filter(pk=statement.customer_id).values_list("primary_phone", "secondary_phone").first()
    if details is _UNSET:
        details = statement.customer_details
    candidates: list[tuple[str, str]] = []
    if phones:
        candidates += [(phones[0], "the customer's primary phone"), (phones[1], "the customer's secondary phone")]
    if details is not None:
        candidates.append((details.alt_acc_num, "the statement request's alternate account"))
    own = e164(statement.acc_number)
    found: dict[str, str] = {}
    for raw, known_as in candidates:
        number = e164(raw)
        if number and number != own:
            found.setdefault(number, known_as)
    return found


def statement_flows(statement_id: int) -> list[Flow]:
    """Money in and out per counterparty number of a stored statement (one
    grouped query; duplicates and rows that do not move the balance left
    out, as the engine's totals leave them), with the first row of each."""
    grouped = list(
        ProcessedTransaction.objects.filter(statement_id=statement_id, is_duplicate=False)
        .exclude(counterparty_number="")
        .exclude(special_type__in=NOT_MOVING_KINDS)
        .values("counterparty_number")
        .annotate(money_in=Sum("amount", filter=Q(amount__gt=0)), money_out=Sum("amount", filter=Q(amount__lt=0)), first=Min("sequence"))
    )
    return [Flow(g["counterparty_number"], g["money_in"] or Decimal(0), -(g["money_out"] or Decimal(0)), None, g["first"]) for g in grouped]


def own_number_reasons(statement: Statement, summary: StatementSummary, *, details: Any = _UNSET) -> list[Reason]:
    """``own_number_transfer``: a large share of the money out went to (or of
    the money in came from) one of the holder's other numbers."""
    own = holder_other_numbers(statement, details=details)
    if not own:
        return []
    matched = flows_by_number(statement_flows(statement.pk), own, e164)
    if not matched:
        return []
    # Point at the first row of each: its page and row in the file's table.
    where = dict(
        (seq, (page, row))
        for seq, page, row in ProcessedTransaction.objects.filter(statement_id=statement.pk, sequence__in=[f.row for f, _ in matched])
        .values_list("sequence", "raw__page_number", "raw__row_number")
    )
    located = [(Flow(f.number, f.money_in, f.money_out, *where.get(f.row, (None, None))), known_as) for f, known_as in matched]
    return own_number_transfers(located, summary.credits or Decimal(0), summary.debits or Decimal(0))


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
def statement_request_check(*, statement: Statement) -> bool:
    """The signals only the back office can give: the statement's account
    against its request's (customer details), and money to or from the
    holder's own other numbers (``holder_other_numbers``). Stores the
    outcome in its reasons, score and status; True when that changed
    anything. A failed import (no summary) is left alone."""
    summary = StatementSummary.objects.select_for_update().filter(statement_id=statement.pk).first()
    if summary is None:
        return False
    kept = [r for r in stored_reasons(summary) if r.code not in codes.REQUEST_SIGNALS]
    new = kept + account_reasons(statement) + own_number_reasons(statement, summary)
    if sorted(r.as_dict().items() for r in new) == sorted(r.as_dict().items() for r in stored_reasons(summary)):
        return False
    status = _verdict(summary, new)
    summary.save(update_fields=["risk_score", "risk_reasons", "tampering_level", "updated_at"])
    if statement.status != StatementStatus.IMPORT_FAILED and statement.status != status:
        Statement.objects.filter(pk=statement.pk).update(status=status)
        statement.status = status
    return True


def statements_request_check_many(*, pairs: list[tuple[Statement, Any]]) -> int:
    """``statement_request_check`` for each (statement, its customer details)
    whose account verdict differs from the stored one, or whose holder has
    other numbers (or had an own-number reason); two queries to find them.
    Returns how many changed."""
    if not pairs:
        return 0
    stored = dict(StatementSummary.objects.filter(statement_id__in=[s.pk for s, _ in pairs]).values_list("statement_id", "risk_reasons"))
    phones = {pk: (primary, secondary) for pk, primary, secondary in Customer.objects.filter(
        pk__in={s.customer_id for s, _ in pairs if s.customer_id}).values_list("pk", "primary_phone", "secondary_phone")}
    changed = 0
    for statement, details in pairs:
        if statement.pk not in stored:
            continue
        had = {r.get("code") for r in stored[statement.pk] or [] if isinstance(r, dict)}
        wants = bool(account(statement.acc_number, getattr(details, "acc_number", None)))
        others = holder_other_numbers(statement, details=details, phones=phones.get(statement.customer_id))
        if ((codes.ACCOUNT_MISMATCH in had) != wants or others or codes.OWN_NUMBER in had) and statement_request_check(statement=statement):
            changed += 1
    return changed
