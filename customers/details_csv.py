"""The CSV backfill of customer details (seed 000's ``populate_customer_details``).

Reads an export of the ``customer_details`` table (one row per run_id, a
column per CustomerDetails field) and upserts it by run_id in batches:

* the header is checked first: required columns that are missing are named
  and nothing is written;
* each cell is converted by its column's type — empty, ``NaN``, ``None`` and
  ``NULL`` become NULL (empty text in text columns, which are NOT NULL), dates
  become dates, naive times are the lender's local time; a row that cannot be
  read is reported with its line number and the rest carries on;
* rows whose values hash the same as the stored row are skipped, so a re-run
  writes nothing; the others go to the database with one
  ``INSERT ... ON DUPLICATE KEY UPDATE`` (MySQL/MariaDB) or
  ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite) ``executemany`` per batch —
  Django's ``bulk_create`` spends most of its time building SQL for rows this
  wide;
* the two personal columns (lead_id_proof_num, lead_national_id) are
  encrypted with ``core.crypto.encrypt`` exactly as the model field would.
"""
from __future__ import annotations

import csv
import hashlib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from core import crypto
from customers.choices import DetailsSource, SyncStatus
from customers.details import DATA_FIELDS, ENCRYPTED_FIELDS
from customers.models import CustomerDetails

# Without these a file is not a customer-details export: identity, provider
# and the columns the statistics are made of.
REQUIRED_COLUMNS = ("run_id", "acc_number", "acc_prvdr_code", "cust_id", "borrower_id", "direct_entity_type", "final_entity_type")
# Other names the same columns have had (mapper.csv, the core tables).
COLUMN_ALIASES = {
    "status": "request_status",
    "created_date": "request_created_at",
    "rm_id": "created_by_rm_id",
    "crnt_fa_limit": "current_fa_limit",
    "prev_fa_limit": "previous_fa_limit",
    "flow_req_id": "run_id",
}
_NULLS = {"", "nan", "none", "null", "nat", "<na>"}
_NULL_TEXTS = {"", "NaN", "nan", "None", "NULL", "null", "NaT", "<NA>"}


class CsvColumnsError(ValueError):
    """The file lacks required columns; nothing was written."""


class _CellError(ValueError):
    pass


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    path: str = ""
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # run_ids seen earlier in the same file (the last row wins)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def _normalize_header(name: str) -> str:
    name = name.strip().lstrip("\ufeff").lower().replace(" ", "_")
    return COLUMN_ALIASES.get(name, name)


def _converter(model_field, tz) -> Callable[[str], object]:
    """A function turning a cell's text into the column's value (or raising _CellError)."""
    name = model_field.name
    nullable = model_field.null

    if isinstance(model_field, (models.BigIntegerField, models.IntegerField)):
        def convert(text):
            if text.lower() in _NULLS:
                return None
            try:
                number = Decimal(text)  # pandas writes integer columns with NaN as 12.0
            except InvalidOperation:
                raise _CellError(f"{name}: {text!r} is not a whole number") from None
            if number != number.to_integral_value():
                raise _CellError(f"{name}: {text!r} is not a whole number")
            value = int(number)
            if abs(value) >= 2**63 or (isinstance(model_field, models.IntegerField) and not isinstance(model_field, models.BigIntegerField) and abs(value) >= 2**31):
                raise _CellError(f"{name}: {text!r} is out of range")
            return value
        return convert

    if isinstance(model_field, models.DecimalField):
        max_whole = model_field.max_digits - model_field.decimal_places
        places = Decimal(1).scaleb(-model_field.decimal_places)

        def convert(text):
            if text.lower() in _NULLS:
                return None
            try:
                value = Decimal(text.replace(",", ""))
            except InvalidOperation:
                raise _CellError(f"{name}: {text!r} is not a number") from None
            if not value.is_finite():
                raise _CellError(f"{name}: {text!r} is not a number")
            value = value.quantize(places)
            if value.adjusted() >= max_whole:
                raise _CellError(f"{name}: {text!r} has more than {max_whole} digits before the decimal point")
            return value
        return convert

    if isinstance(model_field, models.DateTimeField):
        utc_naive = connection.vendor == "mysql"

        def convert(text):
            if text in _NULL_TEXTS or text.lower() in _NULLS:
                return None
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise _CellError(f"{name}: {text!r} is not a date/time (YYYY-MM-DD[ HH:MM[:SS]])") from None
            if value.tzinfo is None:
                value = value.replace(tzinfo=tz)
            # Stored as UTC (USE_TZ), as the model field would store it.
            value = value.astimezone(dt_timezone.utc).replace(tzinfo=None)
            return value if utc_naive else value.isoformat(" ")
        return convert

    if isinstance(model_field, models.DateField):
        def convert(text):
            if text.lower() in _NULLS:
                return None
            try:
                return date.fromisoformat(text[:10])
            except ValueError:
                raise _CellError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None
        return convert

    limit = getattr(model_field, "max_length", None)

    def convert(text):
        if text.lower() in _NULLS:
            return None if nullable else ""
        if limit and len(text) > limit:
            raise _CellError(f"{name}: {len(text)} characters, the column holds {limit}")
        return text
    return convert


class _Writer:
    """Upserts batches of converted rows with one ``executemany`` each."""

    def __init__(self, present: list[str], dry_run: bool):
        self.present = present
        self.dry_run = dry_run
        self.insert_columns = [*DATA_FIELDS, "source", "sync_status", "sync_error", "synced_at", "content_hash", "created_at", "updated_at"]
        update_columns = [*present, "source", "sync_status", "sync_error", "synced_at", "content_hash", "updated_at"]
        qn = connection.ops.quote_name
        table = qn(CustomerDetails._meta.db_table)
        columns = ", ".join(qn(c) for c in self.insert_columns)
        placeholders = ", ".join(["%s"] * len(self.insert_columns))
        if connection.vendor == "mysql":
            updates = ", ".join(f"{qn(c)} = VALUES({qn(c)})" for c in update_columns)
            self.sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON DUPLICATE KEY UPDATE {updates}"
        elif connection.vendor in {"sqlite", "postgresql"}:
            updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in update_columns)
            self.sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT ({qn('run_id')}) DO UPDATE SET {updates}"
        else:
            raise NotImplementedError(f"no upsert for database vendor {connection.vendor}")
        self.mysql_prefix = f"INSERT INTO {table} ({columns}) VALUES "
        self.mysql_suffix = self.sql[self.sql.index(" ON DUPLICATE KEY UPDATE"):] if connection.vendor == "mysql" else ""
        self.defaults = {}
        for f in CustomerDetails._meta.concrete_fields:
            if f.name in DATA_FIELDS:
                self.defaults[f.name] = None if f.null else ""
        now = timezone.now().astimezone(dt_timezone.utc).replace(tzinfo=None)
        self.now = now if connection.vendor == "mysql" else now.isoformat(" ")

    def write(self, batch: dict[str, tuple[int, dict, str, object]], report: ImportReport) -> None:
        """``batch``: run_id → (line, values, content hash, synced_at)."""
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(CustomerDetails._meta.db_table)
            run_ids = list(batch)
            cursor.execute(
                f"SELECT run_id, content_hash FROM {table} WHERE run_id IN ({', '.join(['%s'] * len(run_ids))})", run_ids
            )
            stored = dict(cursor.fetchall())
        params, kinds = [], []
        for run_id, (_line, values, digest, synced_at) in batch.items():
            if run_id in stored:
                if stored[run_id] == digest:
                    report.unchanged += 1
                    continue
                report.updated += 1
                kinds.append("updated")
            else:
                report.inserted += 1
                kinds.append("inserted")
            row = []
            for name in DATA_FIELDS:
                value = values.get(name, self.defaults[name])
                if name in ENCRYPTED_FIELDS and value:
                    value = crypto.encrypt(value)
                row.append(value)
            row += [DetailsSource.CSV, SyncStatus.SYNCED, "", synced_at or self.now, digest, self.now, self.now]
            params.append(row)
        if params and not self.dry_run:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    if connection.vendor == "mysql":
                        self._execute_mysql(cursor, params)
                    else:
                        cursor.executemany(self.sql, params)
            except DatabaseError:
                # One bad row must not cost the whole batch: write them one by
                # one and report the row the database refused.
                self._write_singly(batch, params, kinds, report)

    def _execute_mysql(self, cursor, params, rows_per_statement: int = 1000) -> None:
        # What executemany does, minus its generic per-value escaping, which
        # costs more than the database itself for rows this wide: the values
        # here are only None, str, int, Decimal, date and naive datetime.
        escape = connection.connection.escape_string

        def literal(value) -> str:
            if value is None:
                return "NULL"
            kind = type(value)
            if kind is str:
                return "'" + escape(value).decode("utf-8") + "'"
            if kind is int or kind is Decimal:
                return str(value)
            if kind is datetime or kind is date:
                return "'" + value.isoformat(" ") + "'" if kind is datetime else "'" + value.isoformat() + "'"
            return "'" + escape(str(value)).decode("utf-8") + "'"

        for start in range(0, len(params), rows_per_statement):
            chunk = params[start : start + rows_per_statement]
            values = ",".join("(" + ",".join(map(literal, row)) + ")" for row in chunk)
            cursor.execute(self.mysql_prefix + values + self.mysql_suffix)

    def _write_singly(self, batch, params, kinds, report: ImportReport) -> None:
        lines = {run_id: line for run_id, (line, *_rest) in batch.items()}
        run_id_index = DATA_FIELDS.index("run_id")
        for row, kind in zip(params, kinds):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(self.sql, row)
            except DatabaseError as exc:
                report.errors.append(RowError(lines[row[run_id_index]], f"refused by the database: {exc}"))
                setattr(report, kind, getattr(report, kind) - 1)


def customer_details_import_csv(
    *, path: str | Path, batch_size: int = 5000, dry_run: bool = False, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Upsert the customer-details export at ``path``; return what happened.

    Raises ``FileNotFoundError`` for a missing file and ``CsvColumnsError``
    (before writing anything) when required columns are missing.
    """
    path = Path(path)
    report = ImportReport(path=str(path), dry_run=dry_run)
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    fields_by_name = {f.name: f for f in CustomerDetails._meta.concrete_fields}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise CsvColumnsError(f"{path}: the file is empty (no header row)") from None
        names = [_normalize_header(h) for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise CsvColumnsError(f"{path}: missing column(s) {', '.join(missing)}; nothing was written")
        columns: list[tuple[int, str, Callable]] = []  # typed columns: a converter each
        text_columns: list[tuple[int, str, int, object]] = []  # text: (index, name, max length, null value)
        seen = set()
        for index, name in enumerate(names):
            if name in DATA_FIELDS and name not in seen:
                seen.add(name)
                f = fields_by_name[name]
                if isinstance(f, (models.CharField, models.TextField)):
                    text_columns.append((index, name, f.max_length or 0, None if f.null else ""))
                else:
                    columns.append((index, name, _converter(f, tz)))
            elif name == "synced_at":
                continue
            elif name and not name.startswith("unnamed:"):
                report.ignored_columns.append(header[index])
        synced_at_index = names.index("synced_at") if "synced_at" in names else None
        synced_at_convert = _converter(fields_by_name["synced_at"], tz)
        present = [name for _, name, _ in columns] + [name for _, name, _, _ in text_columns]
        signature = "\x1f".join(present)
        writer = _Writer(present, dry_run)
        width = len(header)

        batch: dict[str, tuple] = {}
        seen_run_ids: set[str] = set()
        for cells in reader:
            line = reader.line_num
            if not cells or not any(c.strip() for c in cells):
                continue
            report.rows_read += 1
            if len(cells) != width:
                report.errors.append(RowError(line, f"{len(cells)} cells, the header has {width}"))
                continue
            values = {}
            texts = [signature]
            try:
                for index, name, convert in columns:
                    text = cells[index].strip()
                    texts.append(text)
                    values[name] = convert(text)
                for index, name, limit, null in text_columns:
                    text = cells[index].strip()
                    texts.append(text)
                    if text in _NULL_TEXTS or (len(text) < 6 and text.lower() in _NULLS):
                        values[name] = null
                    elif limit and len(text) > limit:
                        raise _CellError(f"{name}: {len(text)} characters, the column holds {limit}")
                    else:
                        values[name] = text
                if synced_at_index is not None:
                    text = cells[synced_at_index].strip()
                    texts.append(text)
                    synced_at = synced_at_convert(text)
                else:
                    synced_at = None
            except _CellError as exc:
                report.errors.append(RowError(line, str(exc)))
                continue
            run_id = values.get("run_id") or ""
            if not run_id:
                report.errors.append(RowError(line, "run_id is empty"))
                continue
            if run_id in seen_run_ids:
                report.duplicates += 1
            seen_run_ids.add(run_id)
            # The hash of the row's text as read: the same file gives the same
            # hashes, so a re-run finds every row unchanged.
            digest = hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()
            batch.pop(run_id, None)  # the later row wins, and is written after the earlier ones
            batch[run_id] = (line, values, digest, synced_at)
            if len(batch) >= batch_size:
                writer.write(batch, report)
                if progress:
                    progress(len(batch))
                batch = {}
        if batch:
            writer.write(batch, report)
            if progress:
                progress(len(batch))
    return report
