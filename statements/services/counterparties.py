"""Counterparties of stored statements (issue 18).

    summaries_top_fields(statement_ids) -> {id: dict}        (the summaries' top payer / payee columns)
    summary_top_fields(statement_id) -> dict
    counterparties_backfill(*, batch_size=2000, progress=None) -> BackfillSummary

New statements get their rows' counterparties and their summary's top
payer and payee when they are stored (``storage``). Statements processed
before those columns existed are filled by ``counterparties_backfill``
(``manage.py backfill_counterparties``): the same extraction
(``statements.engine.counterparty``, from the raw row's From/To and the
description, the holder's own number never the counterparty), in batches,
and idempotent — a second run writes nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from core import bulk
from statements.engine.counterparty import counterparty
from statements.engine.types import RawTxn
from statements.models import ProcessedTransaction, StatementSummary
from statements.selectors import NOT_MOVING_KINDS

TOP_FIELDS = ("top_payer_number", "top_payer_name", "top_payer_amount", "top_payee_number", "top_payee_name", "top_payee_amount")
_EPOCH = datetime(2000, 1, 1)
_ZERO = Decimal(0)


def summaries_top_fields(statement_ids: Iterable[int]) -> dict[int, dict]:
    """For each statement, the counterparty that sent the most money in
    (top payer) and the one that received the most money out (top payee),
    chosen as ``selectors.top_counterparties`` lists them first (duplicates
    and rows that do not move the balance left out; ties by name). One
    grouped query for all of them."""
    ids = list(statement_ids)
    best: dict[int, dict[str, tuple]] = {pk: {} for pk in ids}
    grouped = (
        ProcessedTransaction.objects.filter(statement_id__in=ids, is_duplicate=False)
        .exclude(counterparty_number="", counterparty_name="")
        .exclude(special_type__in=NOT_MOVING_KINDS)
        .values_list("statement_id", "counterparty_number", "counterparty_name")
        .annotate(money_in=Sum("amount", filter=Q(amount__gt=0)), money_out=Sum("amount", filter=Q(amount__lt=0)))
        .order_by()
    )
    for statement_id, number, name, money_in, money_out in grouped:
        sides = best[statement_id]
        for side, total in (("in", money_in), ("out", -money_out if money_out is not None else None)):
            if total is None:
                continue
            key = (-total, name)
            if side not in sides or key < sides[side][0]:
                sides[side] = (key, number, name, total)
    out = {}
    for statement_id, sides in best.items():
        fields: dict = {}
        for side, prefix in (("in", "top_payer"), ("out", "top_payee")):
            found = sides.get(side)
            fields[f"{prefix}_number"] = found[1] if found else ""
            fields[f"{prefix}_name"] = found[2] if found else ""
            fields[f"{prefix}_amount"] = found[3] if found else None
        out[statement_id] = fields
    return out


def summary_top_fields(statement_id: int) -> dict:
    """``summaries_top_fields`` of one statement (the storage service, as it writes the summary)."""
    return summaries_top_fields([statement_id])[statement_id]


@dataclass
class BackfillSummary:
    rows_scanned: int = 0  # processed rows that had neither number nor name
    rows_filled: int = 0  # of those, rows that now have one
    statements_updated: int = 0  # summaries whose top payer / payee changed


def _party(description: str, from_acc: str | None, to_acc: str | None, holder: str) -> tuple[str, str]:
    row = RawTxn(row_no=0, txn_id="", txn_date=_EPOCH, amount=_ZERO, fee=_ZERO, balance=_ZERO, description=description or "",
                 from_acc=from_acc or "", to_acc=to_acc or "")
    return counterparty(row, holder or None)


def _summaries_update(statement_ids: set[int]) -> int:
    """Recompute the top payer / payee of these statements (one grouped
    query, one UPDATE per batch of changed summaries); how many changed."""
    tops = summaries_top_fields(statement_ids)
    changed = []
    for row in StatementSummary.objects.filter(statement_id__in=statement_ids).values("id", "statement_id", *TOP_FIELDS):
        fields = tops[row["statement_id"]]
        if any(row[name] != value for name, value in fields.items()):
            changed.append({"id": row["id"], **fields})
    bulk.update(StatementSummary, changed, list(TOP_FIELDS))
    return len(changed)


MAX_BACKFILL_BATCH = 50_000


def counterparties_backfill(*, batch_size: int = 2000, progress: Callable[[str, int], None] | None = None) -> BackfillSummary:
    """Give every processed row with neither counterparty number nor name
    the ones its raw row and description show, then every summary without a
    top payer or payee its top counterparties. Rows are read in keyset
    batches of ``batch_size`` (one transaction each); ``progress(phase, n)``
    is called after each batch ("rows" then "statements"). Idempotent: rows
    that show no counterparty stay empty and a second run writes nothing."""
    if not 1 <= int(batch_size) <= MAX_BACKFILL_BATCH:
        # Each batch's rows are held in memory and written in one transaction.
        raise ValueError(f"batch_size must be at least 1 and at most {MAX_BACKFILL_BATCH:,}")
    batch_size = int(batch_size)
    summary = BackfillSummary()
    touched: set[int] = set()
    last = 0
    empty = Q(counterparty_number="", counterparty_name="")
    while True:
        batch = list(
            ProcessedTransaction.objects.filter(empty, pk__gt=last).order_by("pk")
            .values_list("pk", "statement_id", "acc_number", "description", "raw__from_acc", "raw__to_acc")[:batch_size]
        )
        if not batch:
            break
        last = batch[-1][0]
        updates = []
        for pk, statement_id, holder, description, from_acc, to_acc in batch:
            number, name = _party(description, from_acc, to_acc, holder)
            if number or name:
                updates.append({"id": pk, "counterparty_number": number, "counterparty_name": name})
                touched.add(statement_id)
        with transaction.atomic():
            bulk.update(ProcessedTransaction, updates, ["counterparty_number", "counterparty_name"])
        summary.rows_scanned += len(batch)
        summary.rows_filled += len(updates)
        if progress:
            progress("rows", len(batch))
    # The summaries: those whose rows were just filled, and those with no
    # top counterparty yet (stored before the columns existed).
    no_top = StatementSummary.objects.filter(top_payer_number="", top_payer_name="", top_payee_number="", top_payee_name="")
    pending = sorted(touched | set(no_top.values_list("statement_id", flat=True)))
    for start in range(0, len(pending), batch_size):
        chunk = set(pending[start : start + batch_size])
        with transaction.atomic():
            summary.statements_updated += _summaries_update(chunk)
        if progress:
            progress("statements", len(chunk))
    return summary
