"""CSV exports of raw and processed transactions, streamed in flat memory.

A download can cover millions of rows (all of a provider's:
``/api/v1/download/processed?acc_prvdr_code=UATL``). Rows are read in
keyset-paginated chunks (``id > last ORDER BY id LIMIT n``) with
``values_list`` — no model instances, no OFFSET that slows down page after
page, never the whole result in memory — and each chunk is written to CSV
and handed to the response before the next one is read.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import BooleanField, CharField, DateTimeField, DecimalField, Model, QuerySet, TextField
from django.db.models.functions import Cast

from core.csvsafe import TRIGGERS, safe_cell
from statements.filters import TRANSACTION_LEVEL_FILTERS, normalize_acc_number
from statements.models import ProcessedTransaction, RawTransaction

CHUNK_ROWS = 5000
# Statements per batch when the filter needs metadata/summary columns.
STATEMENT_BATCH = 500

RAW_COLUMNS = (
    "id", "statement_id", "acc_prvdr_code", "acc_number", "run_id", "row_number", "page_number", "txn_id", "txn_date",
    "txn_type", "description", "from_acc", "to_acc", "status", "direction", "amount", "fee", "balance", "raw_date",
    "raw_amount", "raw_fee", "raw_balance", "has_quality_issue",
    # Added at the end (the column order is a contract): MTN MoMo PDFs' Taxes.
    "tax",
)
PROCESSED_COLUMNS = (
    "id", "statement_id", "acc_prvdr_code", "acc_number", "run_id", "sequence", "txn_id", "txn_date", "txn_type",
    "description", "status", "direction", "amount", "fee", "balance", "calculated_running_balance", "balance_diff",
    "implicit_charge", "is_duplicate", "is_special", "special_type", "has_quality_issue", "counterparty_number", "counterparty_name",
    # Added at the end (the column order is a contract): MTN MoMo PDFs' Taxes.
    "tax",
)


@dataclass(frozen=True)
class ExportKind:
    name: str
    model: type[Model]
    columns: tuple[str, ...]

    @property
    def header(self) -> tuple[str, ...]:
        # Timestamps are written as stored: UTC, and the header says so.
        return tuple(f"{c}_utc" if isinstance(self._field(c), DateTimeField) else c for c in self.columns)

    @property
    def select(self) -> tuple:
        """What ``values_list`` reads: dates, money and flags cast to text by
        the database, so no Python object is built per cell (a Decimal and an
        aware datetime per cell would halve the rows per second)."""
        return tuple(
            Cast(c, CharField()) if isinstance(self._field(c), (DateTimeField, DecimalField, BooleanField)) else c
            for c in self.columns
        )

    @property
    def text_positions(self) -> tuple[int, ...]:
        """Where the text columns are: the only cells that can hold a formula
        (ids, amounts, dates and flags come from the database as numbers)."""
        return tuple(
            i for i, c in enumerate(self.columns)
            if c != "statement_id" and isinstance(self._field(c), (CharField, TextField))
        )

    def _field(self, column: str):
        return self.model._meta.get_field(column[:-3] if column == "statement_id" else column)


KINDS = {
    "raw": ExportKind("raw", RawTransaction, RAW_COLUMNS),
    "processed": ExportKind("processed", ProcessedTransaction, PROCESSED_COLUMNS),
}


def _csv_text(rows: Iterable[tuple], text_positions: tuple[int, ...] = ()) -> str:
    # Descriptions are the account holder's text: a cell a spreadsheet would
    # run as a formula gets a leading quote (core.csvsafe.safe_cell; amounts
    # stay numbers). Only the text columns are looked at, and a row is copied
    # only when one of them starts like a formula: millions of rows stream
    # through here.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if _any_formula(rows, text_positions):
        writer.writerows(_escaped(row, text_positions) for row in rows)
    else:
        writer.writerows(rows)
    return buffer.getvalue()


_CELL_STARTS_LIKE_FORMULA = re.compile("(?:^|\x1f)[" + re.escape("".join(TRIGGERS)) + "]")


def _any_formula(rows: Iterable[tuple], text_positions: tuple[int, ...]) -> bool:
    # One regex over each text column joined (C speed), instead of a Python
    # test per cell: almost no chunk holds a formula.
    if not text_positions or not rows:
        return False
    columns = list(zip(*rows, strict=True))
    return any(_CELL_STARTS_LIKE_FORMULA.search("\x1f".join(filter(None, columns[i]))) for i in text_positions)


def _escaped(row: tuple, text_positions: tuple[int, ...]) -> tuple | list:
    for i in text_positions:
        value = row[i]
        if value and value.startswith(TRIGGERS):
            cells = list(row)
            for j in text_positions:
                cells[j] = safe_cell(cells[j])
            return cells
    return row


def _keyset_chunks(queryset: QuerySet, columns: tuple, chunk_rows: int) -> Iterator[list[tuple]]:
    # ``id`` is the first column: the last row of a chunk is where the next
    # one starts. The primary key index (or a secondary index, which InnoDB
    # extends with the primary key) serves both the filter and the order.
    last_id = 0
    while True:
        rows = list(queryset.filter(id__gt=last_id).order_by("id").values_list(*columns)[:chunk_rows])
        if not rows:
            return
        yield rows
        if len(rows) < chunk_rows:
            return
        last_id = rows[-1][0]


def _window_chunks(queryset: QuerySet, columns: tuple, window: int) -> Iterator[list[tuple]]:
    # For a broad filter (a provider: most of the table), walk the primary
    # key in fixed id windows: each query is a short clustered-index range
    # scan, where "provider = X ORDER BY id LIMIT n" would make the database
    # fetch every row through the provider index one by one.
    ids = queryset.model.objects.values_list("id", flat=True)
    top = ids.order_by("-id").first() or 0
    low = (ids.order_by("id").first() or 1) - 1
    while low < top:
        rows = list(queryset.filter(id__gt=low, id__lte=low + window).order_by("id").values_list(*columns))
        if rows:
            yield rows
        low += window


# Filters that keep most of a table: read by id windows, not through their index.
BROAD_FILTERS = {"acc_prvdr_code"}


def transactions_csv(
    kind: str,
    *,
    transaction_filters: dict | None = None,
    statements: QuerySet | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[str]:
    """Yield the CSV text (header first) of ``kind`` (``raw``/``processed``)
    transactions, one string per chunk.

    ``transaction_filters`` are lookups on the transaction table itself;
    ``statements``, when given, restricts the rows to those statements (read
    in batches of about ``chunk_rows`` transactions, so a filter on e.g. the
    verification status never makes the database sort millions of joined
    rows).
    """
    spec = KINDS[kind]
    transaction_filters = transaction_filters or {}
    base = spec.model.objects.filter(**transaction_filters)
    yield _csv_text([spec.header])
    select, text = spec.select, spec.text_positions
    if statements is None:
        if set(transaction_filters) <= BROAD_FILTERS:
            chunks = _window_chunks(base, select, chunk_rows)
        else:
            chunks = _keyset_chunks(base, select, chunk_rows)
        for rows in chunks:
            yield _csv_text(rows, text)
        return
    for statement_ids in _statement_id_batches(statements, chunk_rows):
        for rows in _keyset_chunks(base.filter(statement_id__in=statement_ids), select, chunk_rows):
            yield _csv_text(rows, text)


def _statement_id_batches(statements: QuerySet, chunk_rows: int) -> Iterator[list[int]]:
    """Ids of the filtered statements, in batches holding about ``chunk_rows``
    transactions (by their ``num_rows``), at most STATEMENT_BATCH ids."""
    pairs = statements.order_by().values_list("id", "num_rows")
    last_id = 0
    while True:
        page = list(pairs.filter(id__gt=last_id).order_by("id")[:STATEMENT_BATCH])
        if not page:
            return
        batch, rows = [], 0
        for statement_id, num_rows in page:
            if batch and rows + (num_rows or 0) > chunk_rows:
                yield batch
                batch, rows = [], 0
            batch.append(statement_id)
            rows += num_rows or 0
        yield batch
        last_id = page[-1][0]


def split_filters(cleaned: dict) -> tuple[dict, bool]:
    """Split a StatementFilterSet's cleaned data: the lookups the transaction
    table answers by itself, and whether any other filter is in use (then the
    rows are restricted through the filtered statements)."""
    direct: dict = {}
    needs_statements = False
    for name, value in cleaned.items():
        if value in (None, "", [], ()):
            continue
        column = TRANSACTION_LEVEL_FILTERS.get(name)
        if column is None:
            needs_statements = True
        else:
            value = normalize_acc_number(value) if name == "acc_number" else value
            if direct.get(column, value) != value:
                # provider=UATL&acc_prvdr_code=UMTN: let the statement filter
                # (which matches nothing) decide.
                needs_statements = True
            direct[column] = value
    return direct, needs_statements


def download_file_name(kind: str, cleaned: dict) -> str:
    provider = cleaned.get("acc_prvdr_code") or cleaned.get("provider") or "all"
    return f"{kind}_statements_{provider}.csv".lower()
