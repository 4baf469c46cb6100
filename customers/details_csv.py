"""The CSV backfill of customer details (seed 000's ``populate_customer_details``).

Reads an export of the ``customer_details`` table (one row per run_id, a
column per CustomerDetails field) and upserts it by run_id in batches:

* the header is checked first: required columns that are missing are named
  and nothing is written;
* each row is hashed as read (its stripped cells); rows whose hash equals the
  stored row's ``content_hash`` are skipped before any conversion, so a
  re-run writes nothing (and costs little). When the table is empty at the
  start there is nothing to compare with and no per-batch lookup is made;
* the other rows are converted by their column's type — empty, ``NaN``,
  ``None`` and ``NULL`` become NULL (empty text in text columns, which are
  NOT NULL), dates become dates, naive times are the lender's local time
  stored as UTC; a row that cannot be read is reported with its line number
  and the rest carries on (when a later row with the same run_id is
  unreadable, the earlier readable one is kept);
* on MySQL/MariaDB each batch goes out as a few multi-row
  ``INSERT ... ON DUPLICATE KEY UPDATE`` statements whose values are SQL
  literals built straight from the cell text by a converter compiled once
  per column (text columns of a row are escaped with one ``str.translate``),
  written by a thread while the next batch is converted — Django's ``bulk_create`` and mysqlclient's
  ``executemany`` spend most of their time on per-value Python work for rows
  this wide; other databases get ``INSERT ... ON CONFLICT DO UPDATE``
  ``executemany``;
* the two personal columns (lead_id_proof_num, lead_national_id) are
  encrypted with ``core.crypto.encrypt`` exactly as the model field would
  (Fernet, one random IV per value: about 10 µs each, a few percent of the
  time).
"""
from __future__ import annotations

import csv
import hashlib
import operator
import re
import sys
import zoneinfo
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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


def _case_variants(word: str) -> set[str]:
    variants = {""}
    for ch in word:
        variants = {v + c for v in variants for c in {ch.lower(), ch.upper()}}
    return variants


# Every spelling of a null cell, whatever its case: one set lookup per cell.
_NULL_CELLS = frozenset(v for word in _NULLS for v in _case_variants(word))
# MySQL string-literal escapes (what mysql_real_escape_string does for a utf8
# connection), done with str.translate: the connection's own escape_string
# cannot be called while the writer thread is using the connection.
_SQL_ESCAPES = str.maketrans({"\0": "\\0", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "'": "\\'", '"': '\\"', "\x1a": "\\Z"})
# With sql_mode NO_BACKSLASH_ESCAPES a backslash is an ordinary character.
_SQL_ESCAPES_NO_BACKSLASH = str.maketrans({"'": "''"})
# Rows per multi-row statement are bounded by size, well under max_allowed_packet.
_MAX_STATEMENT_CHARS = 2_000_000


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
    duplicates: int = 0  # rows whose run_id an earlier row of the file had (the last readable row wins)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def _normalize_header(name: str) -> str:
    name = name.strip().lstrip("\ufeff").lower().replace(" ", "_")
    return COLUMN_ALIASES.get(name, name)


def _datetime_parser(tz) -> Callable[[datetime], datetime]:
    """Naive local (``tz``) or aware datetime → naive UTC.

    The offset of each calendar day is looked up once: a day whose offset is
    the same at its first and last second (every day but those with a
    daylight-saving change) converts by subtracting it; the other days go
    through ``zoneinfo`` value by value, exactly as ``astimezone`` would.
    """
    offsets: dict[int, timedelta | None] = {}
    utc = dt_timezone.utc

    def to_utc(value: datetime) -> datetime:
        if value.tzinfo is not None:
            return value.astimezone(utc).replace(tzinfo=None)
        day = value.toordinal()
        try:
            offset = offsets[day]
        except KeyError:
            midnight = datetime.fromordinal(day)
            first = midnight.replace(tzinfo=tz).utcoffset()
            last = (midnight + timedelta(hours=23, minutes=59, seconds=59)).replace(tzinfo=tz).utcoffset()
            offset = offsets[day] = first if first == last else None
        if offset is None:
            return value.replace(tzinfo=tz).astimezone(utc).replace(tzinfo=None)
        return value - offset

    return to_utc


def _sql_escapes() -> dict:
    return _SQL_ESCAPES_NO_BACKSLASH if "NO_BACKSLASH_ESCAPES" in connection.sql_mode else _SQL_ESCAPES


def _converter(model_field, tz, *, sql: bool) -> Callable[[str], object]:
    """A function turning a (stripped) cell into the column's value, or raising _CellError.

    With ``sql`` the value is returned as a MySQL literal (``NULL``, ``12``,
    ``'2024-06-05 05:07:00'``), ready to be joined into a statement.
    """
    name = model_field.name
    nulls = _NULL_CELLS
    null = "NULL" if sql else None

    if isinstance(model_field, (models.BigIntegerField, models.IntegerField)):
        bound = 2**63 if isinstance(model_field, models.BigIntegerField) else 2**31
        plain = len(str(bound)) - 1  # ASCII digits this many or fewer are in range as they stand

        def convert(text):
            if sql and len(text) <= plain and text.isdigit() and text.isascii():
                return text  # the common case: the cell is the literal
            if text in nulls:
                return null
            try:
                value = int(text)
            except ValueError:
                try:
                    number = Decimal(text)  # pandas writes integer columns with NaN as 12.0
                except InvalidOperation:
                    raise _CellError(f"{name}: {text!r} is not a whole number") from None
                if not number.is_finite() or number != number.to_integral_value():
                    raise _CellError(f"{name}: {text!r} is not a whole number") from None
                value = int(number)
            if not -bound < value < bound:
                raise _CellError(f"{name}: {text!r} is out of range")
            return str(value) if sql else value
        return convert

    if isinstance(model_field, models.DecimalField):
        max_whole = model_field.max_digits - model_field.decimal_places
        places = Decimal(1).scaleb(-model_field.decimal_places)
        # Cells already in the column's shape are their own literal.
        fraction = rf"(?:\.[0-9]{{1,{model_field.decimal_places}}})?" if model_field.decimal_places else ""
        exact = re.compile(rf"-?[0-9]{{1,{max_whole}}}{fraction}").fullmatch if sql else None

        def convert(text):
            if sql and exact(text) and text.isascii():
                return text
            if text in nulls:
                return null
            try:
                value = Decimal(text.replace(",", "") if "," in text else text)
            except InvalidOperation:
                raise _CellError(f"{name}: {text!r} is not a number") from None
            if not value.is_finite():
                raise _CellError(f"{name}: {text!r} is not a number")
            try:
                value = value.quantize(places)
            except InvalidOperation:
                raise _CellError(f"{name}: {text!r} has more than {max_whole} digits before the decimal point") from None
            if value.adjusted() >= max_whole:
                raise _CellError(f"{name}: {text!r} has more than {max_whole} digits before the decimal point")
            return str(value) if sql else value
        return convert

    if isinstance(model_field, models.DateTimeField):
        to_utc = _datetime_parser(tz)
        fromisoformat = datetime.fromisoformat

        def convert(text):
            if text in nulls:
                return null
            try:
                value = fromisoformat(text)
            except ValueError:
                raise _CellError(f"{name}: {text!r} is not a date/time (YYYY-MM-DD[ HH:MM[:SS]])") from None
            # Stored as UTC (USE_TZ), as the model field would store it.
            try:
                value = to_utc(value)
            except OverflowError:
                raise _CellError(f"{name}: {text!r} is out of range") from None
            if sql:
                return "'" + value.isoformat(" ") + "'"
            return value.isoformat(" ")
        return convert

    if isinstance(model_field, models.DateField):
        def convert(text):
            if text in nulls:
                return null
            try:
                value = date.fromisoformat(text[:10])
            except ValueError:
                raise _CellError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None
            return "'" + value.isoformat() + "'" if sql else value
        return convert

    # A text column that allows NULL (the NOT NULL ones are handled in bulk).
    limit = getattr(model_field, "max_length", None)
    escapes = _sql_escapes() if sql else None

    def convert(text):
        if text in nulls:
            return null
        if limit and len(text) > limit:
            raise _CellError(f"{name}: {len(text)} characters, the column holds {limit}")
        return "'" + text.translate(escapes) + "'" if sql else text
    return convert


class _Rows:
    """The columns of one file, compiled once: turns a row's stripped cells
    into what the upsert needs (SQL literals on MySQL, parameters elsewhere)."""

    def __init__(self, names: list[str], header: list[str], report: ImportReport, tz, *, encrypt: bool):
        fields_by_name = {f.name: f for f in CustomerDetails._meta.concrete_fields}
        self.sql = connection.vendor == "mysql"
        if self.sql:
            connection.ensure_connection()
        typed: list[tuple[int, str, Callable]] = []  # (cell index, name, converter)
        texts: list[tuple[int, str, int]] = []  # NOT NULL text columns: (cell index, name, max length)
        seen = set()
        for index, name in enumerate(names):
            if name in DATA_FIELDS and name not in seen:
                seen.add(name)
                f = fields_by_name[name]
                if isinstance(f, (models.CharField, models.TextField)) and not f.null:
                    texts.append((index, name, f.max_length or 0))
                else:
                    typed.append((index, name, _converter(f, tz, sql=self.sql)))
            elif name == "synced_at":
                continue
            elif name and not name.startswith("unnamed:"):
                report.ignored_columns.append(header[index])
        self.typed = typed
        self.texts = texts
        self.text_names = [name for _, name, _ in texts]
        self.text_cells = operator.itemgetter(*[i for i, _, _ in texts])  # run_id is always among them
        self.text_limits = [limit or 2**62 for _, _, limit in texts]
        self.encrypted = [k for k, name in enumerate(self.text_names) if name in ENCRYPTED_FIELDS] if encrypt else []
        self.synced_at_index = names.index("synced_at") if "synced_at" in names else None
        self.synced_at_convert = _converter(fields_by_name["synced_at"], tz, sql=self.sql)
        self.run_id_index = names.index("run_id")
        # The hash of a row is that of its cells as read (typed columns, then
        # text columns, then synced_at), after the list of columns present:
        # the same file gives the same hashes, so a re-run finds every row unchanged.
        present = [name for _, name, _ in typed] + self.text_names
        self.present = present
        order = [i for i, _, _ in typed] + [i for i, _, _ in texts]
        if self.synced_at_index is not None:
            order.append(self.synced_at_index)
        self.hashed_cells = operator.itemgetter(*order)
        self.signature = "\x1f".join(present)
        self.escapes = _sql_escapes() if self.sql else None

    def digest(self, cells: list[str]) -> str:
        return hashlib.sha256("\x1f".join((self.signature, *self.hashed_cells(cells))).encode("utf-8")).hexdigest()

    def convert(self, cells: list[str]):
        """(text values, typed values, synced_at) of one row; raises _CellError."""
        nulls = _NULL_CELLS
        texts = ["" if t in nulls else t for t in self.text_cells(cells)]
        if any(map(operator.gt, map(len, texts), self.text_limits)):
            for index, _, convert in self.typed:  # typed cells are reported first, as they are read first
                convert(cells[index])
            for (_, name, limit), text in zip(self.texts, texts):
                if limit and len(text) > limit:
                    raise _CellError(f"{name}: {len(text)} characters, the column holds {limit}")
        for k in self.encrypted:
            if texts[k]:
                texts[k] = crypto.encrypt(texts[k])
        typed = [convert(cells[index]) for index, _, convert in self.typed]
        synced_at = None if self.synced_at_index is None else self.synced_at_convert(cells[self.synced_at_index])
        return texts, typed, synced_at

    def sql_texts(self, texts: list[str]) -> str:
        """The text columns of a row as a run of quoted, escaped literals: one translate call per row."""
        joined = "\x1f".join(texts)
        if joined.count("\x1f") == len(texts) - 1:
            return "'" + joined.translate(self.escapes).replace("\x1f", "','") + "'"
        # A cell holding the separator itself: escape cell by cell.
        return ",".join("'" + t.translate(self.escapes) + "'" for t in texts)


class _Writer:
    """Upserts batches of converted rows."""

    def __init__(self, rows: _Rows, dry_run: bool):
        self.rows = rows
        self.dry_run = dry_run
        qn = connection.ops.quote_name
        self.table = qn(CustomerDetails._meta.db_table)
        absent = [name for name in DATA_FIELDS if name not in set(rows.present)]
        defaults = {f.name: None if f.null else "" for f in CustomerDetails._meta.concrete_fields if f.name in DATA_FIELDS}
        # Column order: what varies per row first, constants last.
        self.insert_columns = [
            *rows.text_names, *(name for _, name, _ in rows.typed), "synced_at", "content_hash",
            *absent, "source", "sync_status", "sync_error", "created_at", "updated_at",
        ]
        update_columns = [*rows.present, "source", "sync_status", "sync_error", "synced_at", "content_hash", "updated_at"]
        columns = ", ".join(qn(c) for c in self.insert_columns)
        now = timezone.now().astimezone(dt_timezone.utc).replace(tzinfo=None)
        constants = [defaults[name] for name in absent] + [DetailsSource.CSV, SyncStatus.SYNCED, ""]
        if connection.vendor == "mysql":
            updates = ", ".join(f"{qn(c)} = VALUES({qn(c)})" for c in update_columns)
            self.prefix = f"INSERT INTO {self.table} ({columns}) VALUES "
            self.suffix = f" ON DUPLICATE KEY UPDATE {updates}"
            self.now_sql = "'" + now.isoformat(" ") + "'"
            self.constants_sql = "".join(
                ",NULL" if v is None else ",'" + str(v).translate(rows.escapes) + "'" for v in constants
            ) + f",{self.now_sql},{self.now_sql})"
            self.params_sql = None
        elif connection.vendor in {"sqlite", "postgresql"}:
            updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in update_columns)
            placeholders = ", ".join(["%s"] * len(self.insert_columns))
            self.params_sql = f"INSERT INTO {self.table} ({columns}) VALUES ({placeholders}) ON CONFLICT ({qn('run_id')}) DO UPDATE SET {updates}"
            self.now = now.isoformat(" ")
            self.constants = [*constants, self.now, self.now]
        else:
            raise NotImplementedError(f"no upsert for database vendor {connection.vendor}")

    def stored_hashes(self, run_ids: list[str]) -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT run_id, content_hash FROM {self.table} WHERE run_id IN ({', '.join(['%s'] * len(run_ids))})", run_ids
            )
            return dict(cursor.fetchall())

    def table_is_empty(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {self.table} LIMIT 1")
            return cursor.fetchone() is None

    def row(self, converted, digest: str):
        """One row for the upsert: a ``(...)`` literal on MySQL, a parameter list elsewhere."""
        texts, typed, synced_at = converted
        if self.params_sql is None:
            rows = self.rows
            return (
                "(" + rows.sql_texts(texts) + ("," + ",".join(typed) if typed else "")
                + "," + (self.now_sql if synced_at is None or synced_at == "NULL" else synced_at)
                + ",'" + digest + "'" + self.constants_sql
            )
        return [*texts, *typed, synced_at or self.now, digest, *self.constants]

    def statements(self, rows: list[str]) -> list[str]:
        """The multi-row upserts (MySQL) for ``rows``, each under _MAX_STATEMENT_CHARS."""
        statements, chunk, size = [], [], 0
        for row in rows:
            if chunk and size + len(row) > _MAX_STATEMENT_CHARS:
                statements.append(self.prefix + ",".join(chunk) + self.suffix)
                chunk, size = [], 0
            chunk.append(row)
            size += len(row) + 1
        if chunk:
            statements.append(self.prefix + ",".join(chunk) + self.suffix)
        return statements

    def write(self, rows: list) -> None:
        """Write ``rows`` (from ``row``) in one transaction; raises DatabaseError."""
        if self.dry_run or not rows:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            if self.params_sql is not None:
                cursor.executemany(self.params_sql, rows)
                return
            for sql in self.statements(rows):
                cursor.execute(sql)

    def write_one(self, row) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if self.params_sql is not None:
                cursor.execute(self.params_sql, row)
            else:
                cursor.execute(self.prefix + row + self.suffix)


@dataclass
class _Pending:
    """A row read and hashed, not yet converted."""

    line: int
    cells: list[str]
    digest: str
    earlier: _Pending | None = None  # a row with the same run_id earlier in the same batch


@dataclass
class _Written:
    """A batch's rows sent to the database: what to count once they are in."""

    rows: list
    kinds: list[str]
    lines: list[int]
    run_ids: list[tuple[str, str]]  # (run_id, hash)


class _Importer:
    """Classifies, converts and writes batches.

    On MySQL/MariaDB a batch's statements run on a writer thread (in their own
    transaction, on this thread's connection, which this thread leaves alone
    meanwhile) while the next batch is read and converted: the server's work
    (about a third of the time) overlaps ours. A batch is committed, or rolled
    back and written row by row, before the next one starts.
    """

    def __init__(self, rows: _Rows, writer: _Writer, report: ImportReport):
        self.rows = rows
        self.writer = writer
        self.report = report
        # When the table starts empty nothing needs looking up: what this run
        # wrote (run_id → hash) is all the table holds (a dry run remembers
        # what it would have written the same way).
        self.remember = dry_run_or_empty = writer.dry_run or writer.table_is_empty()
        self.skip_lookup = not writer.dry_run and dry_run_or_empty
        self.written: dict[str, str] = {}
        self.background = writer.params_sql is None and not writer.dry_run
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="customer-details-writer") if self.background else None
        self.in_flight: tuple[Future, transaction.Atomic, object, _Written, set[str]] | None = None

    def flush(self, batch: dict[str, _Pending]) -> None:
        report, rows, writer = self.report, self.rows, self.writer
        if self.in_flight and (not self.skip_lookup or not self.in_flight[4].isdisjoint(batch)):
            self.finish()  # the lookup needs the connection, or the batch needs the last one's outcome
        if self.skip_lookup:
            stored = self.written
        else:
            stored = writer.stored_hashes(list(batch))
            if self.remember:
                stored.update((r, self.written[r]) for r in batch if r in self.written)
        written = _Written([], [], [], [])
        for run_id, pending in batch.items():
            previous = stored.get(run_id)
            entry = pending
            while entry is not None:
                if previous is not None and previous == entry.digest:
                    report.unchanged += 1
                    break
                try:
                    converted = rows.convert(entry.cells)
                except _CellError as exc:
                    report.errors.append(RowError(entry.line, str(exc)))
                    entry = entry.earlier  # the earlier row with this run_id, if readable, stands
                    continue
                written.rows.append(writer.row(converted, entry.digest))
                written.kinds.append("updated" if previous is not None else "inserted")
                written.lines.append(entry.line)
                written.run_ids.append((run_id, entry.digest))
                break
        self.finish()
        if not written.rows:
            return
        if not self.background:
            try:
                writer.write(written.rows)
            except DatabaseError:
                self.settle(written, self.write_singly(written))
            else:
                self.settle(written, None)
            return
        statements = writer.statements(written.rows)
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            cursor = connection.cursor()
            future = self.executor.submit(self._execute, cursor, statements)
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
        self.in_flight = (future, atomic, cursor, written, {r for r, _ in written.run_ids})

    @staticmethod
    def _execute(cursor, statements: list[str]) -> None:
        for sql in statements:
            cursor.execute(sql)

    def finish(self) -> None:
        """Wait for the batch being written: commit it, or roll it back and write it row by row."""
        if self.in_flight is None:
            return
        future, atomic, cursor, written, _ = self.in_flight
        self.in_flight = None
        try:
            future.result()
        except DatabaseError:
            cursor.close()
            atomic.__exit__(*sys.exc_info())  # rolls back
            self.settle(written, self.write_singly(written))
            return
        except BaseException:
            cursor.close()
            atomic.__exit__(*sys.exc_info())
            raise
        cursor.close()
        atomic.__exit__(None, None, None)  # commits (or releases the savepoint)
        self.settle(written, None)

    def abort(self) -> None:
        """Something failed on this thread: let the writer stop, roll its batch back."""
        if self.in_flight is not None:
            future, atomic, cursor, _, _ = self.in_flight
            self.in_flight = None
            try:
                future.result()
            except BaseException:
                pass
            cursor.close()
            error = RuntimeError("customer details import interrupted")
            atomic.__exit__(RuntimeError, error, None)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)

    def write_singly(self, written: _Written) -> list[bool]:
        # One bad row must not cost the whole batch: write them one by one
        # and report the rows the database refused.
        done = []
        for row, line in zip(written.rows, written.lines):
            try:
                self.writer.write_one(row)
                done.append(True)
            except DatabaseError as exc:
                self.report.errors.append(RowError(line, f"refused by the database: {exc}"))
                done.append(False)
        return done

    def settle(self, written: _Written, done: list[bool] | None) -> None:
        report = self.report
        for k, (kind, (run_id, digest)) in enumerate(zip(written.kinds, written.run_ids)):
            if done is None or done[k]:
                setattr(report, kind, getattr(report, kind) + 1)
                if self.remember:
                    self.written[run_id] = digest


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
        rows = _Rows(names, header, report, tz, encrypt=not dry_run)
        importer = _Importer(rows, _Writer(rows, dry_run), report)
        width = len(header)
        run_id_index = rows.run_id_index
        strip = str.strip
        nulls = _NULL_CELLS
        digest = rows.digest

        batch: dict[str, _Pending] = {}
        seen_run_ids: set[str] = set()
        try:
            for raw in reader:
                cells = list(map(strip, raw))
                if not any(cells):
                    continue
                line = reader.line_num
                report.rows_read += 1
                if len(cells) != width:
                    report.errors.append(RowError(line, f"{len(cells)} cells, the header has {width}"))
                    continue
                run_id = cells[run_id_index]
                if run_id in nulls:
                    try:  # a cell that cannot be read is the better message
                        rows.convert(cells)
                    except _CellError as exc:
                        report.errors.append(RowError(line, str(exc)))
                    else:
                        report.errors.append(RowError(line, "run_id is empty"))
                    continue
                if run_id in seen_run_ids:
                    report.duplicates += 1
                else:
                    seen_run_ids.add(run_id)
                # The later row wins, and is written after the earlier ones.
                earlier = batch.pop(run_id, None)
                batch[run_id] = _Pending(line, cells, digest(cells), earlier)
                if len(batch) >= batch_size:
                    importer.flush(batch)
                    if progress:
                        progress(len(batch))
                    batch = {}
            if batch:
                importer.flush(batch)
                if progress:
                    progress(len(batch))
            importer.finish()
        except BaseException:
            importer.abort()
            raise
        finally:
            importer.close()
    return report
