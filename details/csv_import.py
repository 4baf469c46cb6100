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
  unreadable, the earlier readable one is kept) (``details.csv_rows``);
* on MySQL/MariaDB each batch goes out as a few multi-row
  ``INSERT ... ON DUPLICATE KEY UPDATE`` statements whose values are SQL
  literals built straight from the cell text by a converter compiled once
  per column (text columns of a row are quoted with one
  ``core.bulk.sql_quote_text`` call),
  written by a thread while the next batch is converted — Django's ``bulk_create`` and mysqlclient's
  ``executemany`` spend most of their time on per-value Python work for rows
  this wide; other databases get ``INSERT ... ON CONFLICT DO UPDATE``
  ``executemany`` (``details.csv_writer``);
* the two personal columns (lead_id_proof_num, lead_national_id) are
  encrypted with ``core.crypto.encrypt`` exactly as the model field would
  (Fernet, one random IV per value: about 10 µs each, a few percent of the
  time).
"""
from __future__ import annotations

import csv
import sys
import zoneinfo
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from details.csv_rows import (
    NULL_CELLS,
    REQUIRED_COLUMNS,
    CellError,
    CsvColumnsError,
    ImportReport,
    RowError,
    Rows,
    normalize_header,
)
from details.csv_writer import Writer

__all__ = ["CsvColumnsError", "ImportReport", "RowError", "customer_details_import_csv"]


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

    def __init__(self, rows: Rows, writer: Writer, report: ImportReport):
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
                except CellError as exc:
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
        for row, line in zip(written.rows, written.lines, strict=True):
            try:
                self.writer.write_one(row)
                done.append(True)
            except DatabaseError as exc:
                self.report.errors.append(RowError(line, f"refused by the database: {exc}"))
                done.append(False)
        return done

    def settle(self, written: _Written, done: list[bool] | None) -> None:
        report = self.report
        for k, (kind, (run_id, digest)) in enumerate(zip(written.kinds, written.run_ids, strict=True)):
            if done is None or done[k]:
                setattr(report, kind, getattr(report, kind) + 1)
                if self.remember:
                    self.written[run_id] = digest


def _read_header(reader, path: Path) -> tuple[list[str], list[str]]:
    """The header as written and its normalized column names; raises
    ``CsvColumnsError`` when the file is empty or lacks required columns."""
    try:
        header = next(reader)
    except StopIteration:
        raise CsvColumnsError(f"{path}: the file is empty (no header row)") from None
    names = [normalize_header(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise CsvColumnsError(f"{path}: missing column(s) {', '.join(missing)}; nothing was written")
    return header, names


def _import_rows(
    reader, rows: Rows, importer: _Importer, report: ImportReport, *, width: int, batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Read and hash every row after the header, handing full batches to ``importer``."""
    run_id_index = rows.run_id_index
    strip = str.strip
    nulls = NULL_CELLS
    digest = rows.digest

    batch: dict[str, _Pending] = {}
    seen_run_ids: set[str] = set()
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
            except CellError as exc:
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
        header, names = _read_header(reader, path)
        rows = Rows(names, header, report, tz, encrypt=not dry_run)
        importer = _Importer(rows, Writer(rows, dry_run), report)
        try:
            _import_rows(reader, rows, importer, report, width=len(header), batch_size=batch_size, progress=progress)
            importer.finish()
        except BaseException:
            importer.abort()
            raise
        finally:
            importer.close()
    return report
