"""Taking a portfolio snapshot: every debt under a date, as it stood that day.

Set-based: the date's rows are written with INSERT … SELECT (one statement
per chunk of debt ids) and summed into the date's summary rows with
INSERT … SELECT … GROUP BY. A re-run of a date replaces it whole or not at
all, and readers never see half a date:

* On MariaDB ``portfolio_snapshots`` is LIST-partitioned by date, one
  partition per snapshot date (migration 0004). The new rows are written
  into a staging table no reader reads (each chunk summed into a temporary
  table while its rows are fresh in the buffer pool), then swapped in with
  ``ALTER TABLE … EXCHANGE PARTITION``: MariaDB checks the staged rows
  belong to the partition (about a second for a million) and swaps the
  two tablespaces. The old rows leave with the staging table, which is
  dropped: deleting a million rows one by one was most of a re-run's time.
  The date's summary rows (a few thousand) are then replaced in one short
  transaction.
* On SQLite, or when the caller already holds a transaction (DDL would
  commit it: tests, or a caller that wants the snapshot inside its own
  unit of work), the date is replaced in place: DELETE, INSERT, summaries,
  all in one transaction.

A date before today is rebuilt from the debts' history (simple-history's
``HistoricalDebt``): each debt's latest history row up to the end of that
day, its days past due counted to that day. A debt with no history row by
then (a loan book imported later) is recorded as it stands now, and the
result counts them (``fallback_rows``).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from debts.models import Debt
from debts.rules import OPEN_STATUSES
from reports.choices import Bucket
from reports.filters import MIN_DATE
from reports.models import PortfolioSnapshot, PortfolioSummary

DEFAULT_BATCH_SIZE = 250_000
# Rows of a date nobody gave its own partition land here (a snapshot written
# inside a caller's transaction, or by hand); it is normally empty.
DEFAULT_PARTITION = "p_default"
STAGE_TABLE = "portfolio_snapshots_stage"
# One snapshot run at a time per database (GET_LOCK, whose names are
# server-wide): they share the staging table.
LOCK_NAME = "{database}.portfolio_snapshot"
LOCK_WAIT_SECONDS = 600
# How long a run's DDL on the table (a new date's partition, the swap) waits
# for queries already reading it before giving up: new readers queue behind
# a waiting DDL, so it must not wait for MariaDB's default of a day.
DDL_LOCK_WAIT_SECONDS = 60
BULK_LOAD = True

COLUMNS = (
    "snapshot_date, debt_id, branch, employee_id, employee_name, assigned_to_id, status, days_past_due, bucket, prev_bucket, "
    "balance, due_amount, principal, issue_date, disbursement_month, months_on_book, created_at"
)
SUMMARY_KEYS = "branch, employee_id, assigned_to_id, bucket, prev_bucket, disbursement_month"
SUMMARY_COLUMNS = f"snapshot_date, {SUMMARY_KEYS}, employee_name, debt_count, balance, principal, amount_due"


@dataclass
class SnapshotResult:
    as_of: date
    previous_month_end: date | None
    rows_deleted: int = 0
    rows_written: int = 0
    summary_rows: int = 0
    seconds: float = 0.0
    # A past date: rows rebuilt from history, and rows of debts with no
    # history row by the end of that day (recorded as they stand now).
    from_history: bool = False
    history_rows: int = 0
    fallback_rows: int = 0
    # "exchange" (a partition swapped in) or "in_place" (DELETE, INSERT).
    method: str = "in_place"
    # Seconds per step of a swap (stage, sum, swap, summaries, drop).
    phases: dict[str, float] = field(default_factory=dict)


class SnapshotSummaryError(RuntimeError):
    """The rows of a date were swapped in but its summary rows could not be
    replaced: the reports read stale sums until ``--summary-only`` rebuilds them."""


def _bucket_sql(status: str, dpd: str) -> str:
    """The bucket of a debt as SQL (the same on MariaDB and SQLite)."""
    return (
        f"CASE WHEN {status} IN ('PAID_OFF', 'SETTLED') THEN '{Bucket.CLOSED}'"
        f" WHEN {status} = 'WRITTEN_OFF' THEN '{Bucket.WRITTEN_OFF}'"
        f" WHEN {dpd} = 0 THEN '{Bucket.CURRENT}'"
        f" WHEN {dpd} <= 30 THEN '{Bucket.D1_30}'"
        f" WHEN {dpd} <= 60 THEN '{Bucket.D31_60}'"
        f" WHEN {dpd} <= 90 THEN '{Bucket.D61_90}'"
        f" ELSE '{Bucket.D90_PLUS}' END"
    )


def _month_sql(column: str) -> tuple[str, str]:
    """(first day of the column's month, the column's year*12+month) as SQL."""
    if connection.vendor == "sqlite":
        return (
            f"date({column}, 'start of month')",
            f"(CAST(strftime('%%Y', {column}) AS INTEGER) * 12 + CAST(strftime('%%m', {column}) AS INTEGER))",
        )
    return f"({column} - INTERVAL (DAYOFMONTH({column}) - 1) DAY)", f"(YEAR({column}) * 12 + MONTH({column}))"


def _past_due_sql(t: str, as_of: date) -> str:
    """A history row's days past due counted to ``as_of``, as SQL: the rule of
    ``debts.services.delinquency`` (days since ``due_date`` for an open debt
    that still owes money and has not paid the instalment due since it fell
    due; else 0). The nightly run writes no history for days past due, so
    the stored figure of a history row is not used."""
    day = f"'{as_of.isoformat()}'"  # a date object: no injection possible
    days = f"CAST(julianday({day}) - julianday({t}.due_date) AS INTEGER)" if connection.vendor == "sqlite" else f"DATEDIFF({day}, {t}.due_date)"
    open_statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    paid = (
        f"{t}.last_payment_date IS NOT NULL AND {t}.last_payment_date >= {t}.due_date AND {t}.last_payment_amount IS NOT NULL"
        f" AND {t}.last_payment_amount >= COALESCE({t}.due_amount, {t}.minimum_payment, 0)"
    )
    return (
        f"(CASE WHEN {t}.status IN ({open_statuses}) AND {t}.current_balance > 0 AND {t}.due_date < {day}"
        f" THEN (CASE WHEN {paid} THEN 0 ELSE {days} END) ELSE 0 END)"
    )


def previous_month_end(as_of: date) -> date | None:
    """The last snapshot date of an earlier month than ``as_of``'s: where
    ``prev_bucket`` (the month-over-month transition) is read from."""
    return PortfolioSnapshot.objects.filter(snapshot_date__lt=as_of.replace(day=1)).aggregate(d=Max("snapshot_date"))["d"]


def partition_name(day: date) -> str:
    return f"p{day:%Y%m%d}"


def partitioned() -> bool:
    """Whether ``portfolio_snapshots`` is partitioned here (MariaDB after migration 0004)."""
    if connection.vendor != "mysql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
            " AND PARTITION_NAME IS NOT NULL",
            [PortfolioSnapshot._meta.db_table],
        )
        return cursor.fetchone()[0] > 0


def portfolio_snapshots_partition() -> bool:
    """Partition ``portfolio_snapshots`` by date on MariaDB if it is not yet
    (what migration 0004 does; for a database that applied 0004 while it was
    an empty placeholder): one partition per date it holds, and the DEFAULT
    one. Copies the table once; True if it did."""
    if connection.vendor != "mysql" or partitioned():
        return False
    table = connection.ops.quote_name(PortfolioSnapshot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT snapshot_date FROM {table} ORDER BY snapshot_date")
        parts = [f"PARTITION {partition_name(row[0])} VALUES IN ('{row[0].isoformat()}')" for row in cursor.fetchall()]
        parts.append(f"PARTITION {DEFAULT_PARTITION} DEFAULT")
        cursor.execute(f"ALTER TABLE {table} PARTITION BY LIST COLUMNS(snapshot_date) ({', '.join(parts)})")
    return True


def snapshot_partition_ensure(day: date) -> bool:
    """Give ``day`` its own partition of ``portfolio_snapshots`` if it has
    none yet (MariaDB; DDL, so never inside a transaction); True if one was
    made. Split off the DEFAULT partition with REORGANIZE, which moves any
    rows of that date out of it: ADD PARTITION beside a DEFAULT partition
    leaves them there, where a query on the date no longer looks (MariaDB
    10.11)."""
    if not partitioned():
        return False
    name = partition_name(day)
    table = connection.ops.quote_name(PortfolioSnapshot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
            " AND PARTITION_NAME = %s",
            [PortfolioSnapshot._meta.db_table, name],
        )
        if cursor.fetchone()[0]:
            return False
        cursor.execute(
            f"ALTER TABLE {table} REORGANIZE PARTITION {DEFAULT_PARTITION} INTO "
            f"(PARTITION {name} VALUES IN ('{day.isoformat()}'), PARTITION {DEFAULT_PARTITION} DEFAULT)"
        )
    return True


def _end_of_day(day: date):
    """The first instant after ``day`` in TIME_ZONE, as the database stores it."""
    cutoff = timezone.make_aware(datetime.combine(day + timedelta(days=1), clock.min))
    return connection.ops.adapt_datetimefield_value(cutoff)


def _fill(cursor, target: str, *, as_of: date, prev: date | None, from_history: bool, batch_size: int,
          progress: Callable[[int], None] | None, result: SnapshotResult,
          after_chunk: Callable[[int, int], None] | None = None) -> None:
    """INSERT … SELECT the date's rows into ``target`` (quoted), one chunk of
    debt ids per statement (two for a past date: from history, then the
    debts without history by then); ``after_chunk(lo, hi)`` runs after each."""
    qn = connection.ops.quote_name
    snapshots = qn(PortfolioSnapshot._meta.db_table)
    debts = qn(Debt._meta.db_table)
    history = qn(Debt.history.model._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    as_of_ym = as_of.year * 12 + as_of.month

    def select(t: str, dpd: str, source: str, where: str) -> str:
        month_start, ym = _month_sql(f"{t}.issue_date")
        return (
            f"INSERT INTO {target} ({COLUMNS}) "
            f"SELECT %s, {t}.id, {t}.branch, {t}.employee_id, {t}.employee_name, {t}.assigned_to_id, {t}.status, {dpd}, "
            f"{_bucket_sql(f'{t}.status', dpd)}, COALESCE(p.bucket, ''), "
            f"{t}.current_balance, {t}.due_amount, {t}.original_amount, {t}.issue_date, {month_start}, "
            f"CASE WHEN {t}.issue_date IS NULL THEN NULL ELSE %s - {ym} END, %s "
            f"FROM {source} "
            f"LEFT JOIN {snapshots} p ON p.snapshot_date = %s AND p.debt_id = {t}.id "
            f"WHERE {where} AND ({t}.issue_date IS NULL OR {t}.issue_date <= %s)"
        )

    head = [as_of, as_of_ym, now, prev]
    if not from_history:
        current = select("d", "d.days_past_due", f"{debts} d", "d.id BETWEEN %s AND %s")
        statements = [(current, lambda lo, hi: [*head, lo, hi, as_of], "fallback_rows")]
        bounds = Debt.objects.aggregate(lo=Min("id"), hi=Max("id"))
    else:
        cutoff = _end_of_day(as_of)
        # Each debt's latest history row before the cutoff (ties on the
        # timestamp go to the later row); a deletion ("-") leaves it out.
        latest = (
            f"(SELECT hh.*, {_past_due_sql('hh', as_of)} AS dpd_as_of, ROW_NUMBER() OVER "
            f"(PARTITION BY hh.id ORDER BY hh.history_date DESC, hh.history_id DESC) AS rn "
            f"FROM {history} hh WHERE hh.id BETWEEN %s AND %s AND hh.history_date < %s) h"
        )
        from_rows = select("h", "h.dpd_as_of", latest, "h.rn = 1 AND h.history_type <> '-'")
        # No history row by then: the debt as it stands now.
        without = select(
            "d", "d.days_past_due", f"{debts} d",
            f"d.id BETWEEN %s AND %s AND NOT EXISTS (SELECT 1 FROM {history} x WHERE x.id = d.id AND x.history_date < %s)",
        )
        statements = [
            # The derived table's parameters come before the LEFT JOIN's.
            (from_rows, lambda lo, hi: [as_of, as_of_ym, now, lo, hi, cutoff, prev, as_of], "history_rows"),
            (without, lambda lo, hi: [*head, lo, hi, cutoff, as_of], "fallback_rows"),
        ]
        d = Debt.objects.aggregate(lo=Min("id"), hi=Max("id"))
        h = Debt.history.model.objects.aggregate(lo=Min("id"), hi=Max("id"))
        los = [v for v in (d["lo"], h["lo"]) if v is not None]
        his = [v for v in (d["hi"], h["hi"]) if v is not None]
        bounds = {"lo": min(los) if los else None, "hi": max(his) if his else None}
    if bounds["lo"] is None:
        return
    lo, hi = bounds["lo"], bounds["hi"]
    while lo <= hi:
        top = min(lo + batch_size - 1, hi)
        for sql, params, counter in statements:
            cursor.execute(sql, params(lo, top))
            setattr(result, counter, getattr(result, counter) + max(cursor.rowcount, 0))
        if after_chunk:
            after_chunk(lo, top)
        if progress:
            progress(top - lo + 1)
        lo = top + 1
    result.rows_written = result.history_rows + result.fallback_rows


def _summary_select(source: str, also: str = "") -> str:
    return (
        f"SELECT snapshot_date, {SUMMARY_KEYS}, MAX(employee_name), COUNT(*), SUM(balance), SUM(principal), "
        f"SUM(COALESCE(due_amount, balance)) FROM {source} WHERE snapshot_date = %s{f' AND {also}' if also else ''} "
        f"GROUP BY snapshot_date, {SUMMARY_KEYS}"
    )


def _summarise(cursor, as_of: date) -> int:
    """Replace the date's summary rows with the sums of its snapshot rows
    (one INSERT … SELECT … GROUP BY); the number of rows written."""
    qn = connection.ops.quote_name
    summaries = qn(PortfolioSummary._meta.db_table)
    cursor.execute(f"DELETE FROM {summaries} WHERE snapshot_date = %s", [as_of])
    cursor.execute(
        f"INSERT INTO {summaries} ({SUMMARY_COLUMNS}) {_summary_select(qn(PortfolioSnapshot._meta.db_table))}", [as_of]
    )
    return max(cursor.rowcount, 0)


def portfolio_snapshot_take(
    *, as_of: date | None = None, batch_size: int = DEFAULT_BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> SnapshotResult:
    """Write the snapshot of ``as_of`` (default: today in TIME_ZONE),
    replacing any rows that date already has, whole or not at all.

    Today (or a later date) records each debt as it stands now: balance,
    status, days past due from the nightly delinquency run, assignee,
    branch and employee. An earlier date is rebuilt from the debts'
    history as of the end of that day (days past due counted to it); a
    debt with no history row by then is recorded as it stands now
    (``result.fallback_rows``). Debts issued after ``as_of``, or deleted by
    then, are left out. ``progress`` is called with the number of debt ids
    covered after each chunk.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        # A snapshot records a day that has happened: a later date would be
        # today's state with days past due counted to a day not yet come.
        raise ValueError(f"as_of {as_of} is after today ({today}): a snapshot can only record a day that has begun")
    if as_of < MIN_DATE:
        # The reports read no date before MIN_DATE, and the collections
        # summary would sum every day from this one to today (a mistyped year).
        raise ValueError(f"as_of {as_of} is before {MIN_DATE.isoformat()}, the first date a report reads")
    started = time.monotonic()
    prev = previous_month_end(as_of)
    result = SnapshotResult(as_of=as_of, previous_month_end=prev, from_history=as_of < today)
    fill = {"as_of": as_of, "prev": prev, "from_history": result.from_history, "batch_size": batch_size,
            "progress": progress, "result": result}
    if connection.in_atomic_block or not partitioned():
        _take_in_place(result, fill)
    else:
        _take_by_exchange(result, fill)
    result.seconds = time.monotonic() - started
    return result


def _take_in_place(result: SnapshotResult, fill: dict) -> None:
    """DELETE the date, INSERT it again and sum it, in one transaction."""
    table = connection.ops.quote_name(PortfolioSnapshot._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE snapshot_date = %s", [result.as_of])
        result.rows_deleted = max(cursor.rowcount, 0)
        _fill(cursor, table, **fill)
        result.summary_rows = _summarise(cursor, result.as_of)


def _take_by_exchange(result: SnapshotResult, fill: dict) -> None:
    """Stage the date's rows and sums, then swap them in (MariaDB, no open transaction)."""
    qn = connection.ops.quote_name
    table = qn(PortfolioSnapshot._meta.db_table)
    summaries = qn(PortfolioSummary._meta.db_table)
    stage, stage_sums = qn(STAGE_TABLE), qn(f"{STAGE_TABLE}_sums")
    as_of = result.as_of
    result.method = "exchange"
    with connection.cursor() as cursor:
        lock = LOCK_NAME.format(database=connection.settings_dict["NAME"])[-64:]
        cursor.execute("SELECT GET_LOCK(%s, %s)", [lock, LOCK_WAIT_SECONDS])
        if cursor.fetchone()[0] != 1:
            raise RuntimeError(f"another portfolio snapshot has been running for over {LOCK_WAIT_SECONDS} s")
        try:
            cursor.execute("SET SESSION lock_wait_timeout = %s", [DDL_LOCK_WAIT_SECONDS])
            snapshot_partition_ensure(as_of)
            # A staging table shaped exactly like one partition; left over
            # from a run that died, it is dropped first.
            cursor.execute(f"DROP TABLE IF EXISTS {stage}")
            cursor.execute(f"CREATE TABLE {stage} LIKE {table}")
            cursor.execute(f"ALTER TABLE {stage} REMOVE PARTITIONING")
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {stage_sums}")
            cursor.execute(f"CREATE TEMPORARY TABLE {stage_sums} LIKE {summaries}")
            mark = time.monotonic()
            if BULK_LOAD:
                # The staging table is empty: InnoDB then loads it in bulk, in
                # one transaction, sorting each index once, instead of row by
                # row with undo logging (a duplicate key still fails).
                cursor.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")

            def sum_chunk(lo: int, hi: int) -> None:
                # Each chunk is summed while its rows are still in the buffer
                # pool (reading a million staged rows back costs more).
                cursor.execute(
                    f"INSERT INTO {stage_sums} ({SUMMARY_COLUMNS}) {_summary_select(stage, 'debt_id BETWEEN %s AND %s')}",
                    [as_of, lo, hi],
                )

            try:
                with transaction.atomic():
                    _fill(cursor, stage, **fill, after_chunk=sum_chunk)
            finally:
                cursor.execute("SET SESSION unique_checks = DEFAULT, foreign_key_checks = DEFAULT")
            mark = _phase(result, "stage", mark)
            # The swap: the partition's rows go to the staging table and the
            # staged rows become the date, at once.
            cursor.execute(f"ALTER TABLE {table} EXCHANGE PARTITION {partition_name(as_of)} WITH TABLE {stage}")
            mark = _phase(result, "swap", mark)
            try:
                with transaction.atomic():
                    cursor.execute(f"DELETE FROM {summaries} WHERE snapshot_date = %s", [as_of])
                    # The chunks' sums summed (a group may span chunks).
                    cursor.execute(
                        f"INSERT INTO {summaries} ({SUMMARY_COLUMNS}) SELECT snapshot_date, {SUMMARY_KEYS}, MAX(employee_name), "
                        f"SUM(debt_count), SUM(balance), SUM(principal), SUM(amount_due) FROM {stage_sums} "
                        f"GROUP BY snapshot_date, {SUMMARY_KEYS}"
                    )
                    result.summary_rows = max(cursor.rowcount, 0)
            except Exception as exc:
                raise SnapshotSummaryError(
                    f"The rows of {as_of} were replaced but not its summaries ({exc}); "
                    f"run `manage.py snapshot_portfolio --as-of {as_of} --summary-only`."
                ) from exc
            mark = _phase(result, "summaries", mark)
            cursor.execute(f"SELECT COUNT(*) FROM {stage}")
            result.rows_deleted = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {stage}")
            _phase(result, "drop", mark)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {stage}")
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {stage_sums}")
            cursor.execute("SET SESSION lock_wait_timeout = DEFAULT")
            cursor.execute("SELECT RELEASE_LOCK(%s)", [lock])


def _phase(result: SnapshotResult, name: str, since: float) -> float:
    now = time.monotonic()
    result.phases[name] = round(now - since, 2)
    return now


def portfolio_summary_rebuild(*, as_of: date) -> int:
    """Rebuild one date's summary rows from its snapshot rows (for dates
    snapshotted before the summaries existed); the number of rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        return _summarise(cursor, as_of)
