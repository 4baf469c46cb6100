"""Weigh the signals into a statement's reasons and risk score (``assess``, ``risk_score``)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from statements.engine.base import ProviderRules
from statements.engine.evidence import Reason
from statements.engine.forensics import codes, signals
from statements.engine.forensics.roundtrip import round_tripping
from statements.engine.forensics.templates import template_for
from statements.engine.types import ParsedStatement, ProcessedTxn, RawTxn, Summary
from statements.engine.vocabulary import BalanceMatch, TamperingLevel

DIFF_TOLERANCE = Decimal("0.01")


def risk_score(reasons: Iterable[Reason]) -> int:
    """The heaviest reason of each code (of each family of codes with one
    cause, ``codes.FAMILIES``), added up, capped at 100."""
    heaviest: dict[str, int] = {}
    for reason in reasons:
        key = codes.FAMILIES.get(reason.code, reason.code)
        heaviest[key] = max(heaviest.get(key, 0), reason.weight)
    return min(100, sum(heaviest.values()))


def file_score(reasons: Iterable[Reason]) -> int:
    """The score of the reasons about the file (what its tampering level comes from)."""
    return risk_score(r for r in reasons if r.code in codes.FILE_SIGNALS)


def first_break(transactions: Sequence[ProcessedTxn]) -> ProcessedTxn | None:
    """The first row whose balance difference moves (where the running balance breaks)."""
    previous = Decimal(0)
    for p in transactions:
        if abs(p.balance_diff - previous) > DIFF_TOLERANCE:
            return p
        previous = p.balance_diff
    return None


def table_reasons(parsed: ParsedStatement, summary: Summary, transactions: Sequence[ProcessedTxn], rules: ProviderRules) -> list[Reason]:
    """The verification's findings as reasons, and the summary against the table."""
    weights = codes.WEIGHTS
    out: list[Reason] = []
    broken = first_break(transactions)
    if summary.balance_match != BalanceMatch.SUCCESS:
        where = broken.raw if broken is not None else None
        out.append(Reason(codes.BALANCE_MISMATCH, summary.verification_reason or "the balances do not match", weights[codes.BALANCE_MISMATCH],
                          where.page if where else None, where.row_no if where else None, "Balance"))
    elif broken is not None:
        out.append(Reason(codes.BALANCE_BREAK, f"the running balance breaks at row {broken.raw.row_no} ({summary.balance_diff_changes} change(s)) "
                          "though the closing balance matches", weights[codes.BALANCE_BREAK], broken.raw.page, broken.raw.row_no, "Balance"))
    if summary.duplicate_count:
        dup = next((p for p in transactions if p.is_duplicate), None)
        out.append(Reason(codes.DUPLICATE_ROWS, f"{summary.duplicate_count} row(s) repeat an earlier row", weights[codes.DUPLICATE_ROWS],
                          dup.raw.page if dup else None, dup.raw.row_no if dup else None))
    if parsed.header_row_manipulation_count:
        out.append(Reason(codes.HEADER_ROWS, f"{parsed.header_row_manipulation_count} table header row(s) inside the data (rows pasted in)",
                          weights[codes.HEADER_ROWS]))
    if summary.quality_issues_count:
        dirty = next((t for t in parsed.transactions if t.has_quality_issue), None)
        out.append(Reason(codes.DIRTY_CELLS, f"{summary.quality_issues_count} cell(s) are not clean numbers", weights[codes.DIRTY_CELLS],
                          dirty.page if dirty else None, dirty.row_no if dirty else None))

    out.extend(round_tripping(transactions, parsed.acc_number))

    def counts(t: RawTxn) -> bool:
        return not rules.not_a_transaction(t)

    out.extend(signals.summary_vs_table(parsed.summary, parsed.transactions, summary.opening_balance_calculated,
                                        summary.closing_balance_stated, counts))
    return out


def file_reasons(parsed: ParsedStatement, summary: Summary) -> list[Reason]:
    """Every file signal the statement's kind of file allows."""
    template = template_for(parsed.format)
    meta = parsed.metadata
    evidence = parsed.evidence
    out: list[Reason] = []
    if meta is not None:
        out.extend(signals.dates(meta, summary.first_txn_date, summary.last_txn_date, template))
    if template is None or meta is None:
        return out
    comment = evidence.file.header_comment if evidence is not None else b""
    out.extend(signals.producer(meta, template, comment))
    if evidence is None:
        # Re-verified from stored rows: what only the file shows is kept from before.
        out.extend(r for r in parsed.prior_reasons if r.code in codes.FILE_ONLY)
        return out
    out.extend(signals.revisions(evidence.file))
    out.extend(signals.structure(evidence.file, template, meta.producer))
    out.extend(signals.fonts(evidence.pages, template))
    out.extend(signals.annotation_overlays(evidence.pages, template))
    out.extend(signals.covered_text(evidence.pages))
    out.extend(signals.overlapping_text(evidence.pages))
    out.extend(signals.layout(evidence.pages, template))
    return out


def assess(parsed: ParsedStatement, summary: Summary, transactions: Sequence[ProcessedTxn], rules: ProviderRules) -> list[Reason]:
    """All reasons for one statement, heaviest first (the provider's metadata
    rules, already run into ``summary.tampering_level``, count too)."""
    reasons = file_reasons(parsed, summary) + table_reasons(parsed, summary, transactions, rules)
    if summary.tampering_level and summary.tampering_level != TamperingLevel.NO_ISSUES:
        reasons.append(Reason(codes.METADATA_RULE, summary.tampering_reason, codes.METADATA_WEIGHTS[summary.tampering_level]))
    if parsed.file_kind == "" and not parsed.evidence:
        # Account reasons were added at import; keep them on re-verification.
        reasons.extend(r for r in parsed.prior_reasons if r.code == codes.ACCOUNT_MISMATCH and r not in reasons)
    reasons.sort(key=lambda r: (-r.weight, r.page or 0, r.row or 0))
    return reasons
