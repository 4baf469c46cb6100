"""Taking a portfolio snapshot: every debt as it stands, under a date.

Set-based: the date's rows are deleted, then written with INSERT … SELECT
from ``debts`` (one statement per chunk of debt ids), then summed into the
date's summary rows with one INSERT … SELECT … GROUP BY, all in one
transaction: a million debts are a handful of statements, and a re-run of
a date replaces it whole or not at all.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from debts.models import Debt
from reports.choices import Bucket
from reports.models import PortfolioSnapshot, PortfolioSummary

DEFAULT_BATCH_SIZE = 250_000


@dataclass
class SnapshotResult:
    as_of: date
    previous_month_end: date | None
    rows_deleted: int = 0
    rows_written: int = 0
    summary_rows: int = 0
    seconds: float = 0.0


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


def previous_month_end(as_of: date) -> date | None:
    """The last snapshot date of an earlier month than ``as_of``'s: where
    ``prev_bucket`` (the month-over-month transition) is read from."""
    return PortfolioSnapshot.objects.filter(snapshot_date__lt=as_of.replace(day=1)).aggregate(d=Max("snapshot_date"))["d"]


def portfolio_snapshot_take(
    *, as_of: date | None = None, batch_size: int = DEFAULT_BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> SnapshotResult:
    """Write the snapshot of ``as_of`` (default: today in TIME_ZONE), replacing
    any rows that date already has, in one transaction.

    A snapshot records each debt as it stands when this runs (balance,
    status, days past due from the nightly delinquency run, assignee,
    branch and employee): the debts table keeps no past states, so a
    backfilled date holds the state at the time of the backfill. Debts
    issued after ``as_of`` are left out. ``progress`` is called with the
    number of debt ids covered after each chunk.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    as_of = as_of or timezone.localdate()
    started = time.monotonic()
    prev = previous_month_end(as_of)
    result = SnapshotResult(as_of=as_of, previous_month_end=prev)
    bounds = Debt.objects.aggregate(lo=Min("id"), hi=Max("id"))
    qn = connection.ops.quote_name
    table = qn(PortfolioSnapshot._meta.db_table)
    month_start, ym = _month_sql("d.issue_date")
    as_of_ym = as_of.year * 12 + as_of.month
    columns = (
        "snapshot_date, debt_id, branch, employee_id, employee_name, assigned_to_id, status, days_past_due, bucket, prev_bucket, "
        "balance, due_amount, principal, issue_date, disbursement_month, months_on_book, created_at"
    )
    select = (
        f"SELECT %s, d.id, d.branch, d.employee_id, d.employee_name, d.assigned_to_id, d.status, d.days_past_due, "
        f"{_bucket_sql('d.status', 'd.days_past_due')}, COALESCE(p.bucket, ''), "
        f"d.current_balance, d.due_amount, d.original_amount, d.issue_date, {month_start}, "
        f"CASE WHEN d.issue_date IS NULL THEN NULL ELSE %s - {ym} END, %s "
        f"FROM {qn(Debt._meta.db_table)} d "
        f"LEFT JOIN {table} p ON p.snapshot_date = %s AND p.debt_id = d.id "
        f"WHERE d.id BETWEEN %s AND %s AND (d.issue_date IS NULL OR d.issue_date <= %s)"
    )
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE snapshot_date = %s", [as_of])
        result.rows_deleted = max(cursor.rowcount, 0)
        if bounds["lo"] is not None:
            lo, hi = bounds["lo"], bounds["hi"]
            while lo <= hi:
                top = min(lo + batch_size - 1, hi)
                cursor.execute(f"INSERT INTO {table} ({columns}) {select}", [as_of, as_of_ym, now, prev, lo, top, as_of])
                result.rows_written += max(cursor.rowcount, 0)
                if progress:
                    progress(top - lo + 1)
                lo = top + 1
        result.summary_rows = _summarise(cursor, as_of)
    result.seconds = time.monotonic() - started
    return result


def _summarise(cursor, as_of: date) -> int:
    """Replace the date's summary rows with the sums of its snapshot rows
    (one INSERT … SELECT … GROUP BY); the number of rows written."""
    qn = connection.ops.quote_name
    summaries = qn(PortfolioSummary._meta.db_table)
    keys = "branch, employee_id, assigned_to_id, bucket, prev_bucket, disbursement_month"
    cursor.execute(f"DELETE FROM {summaries} WHERE snapshot_date = %s", [as_of])
    cursor.execute(
        f"INSERT INTO {summaries} (snapshot_date, {keys}, employee_name, debt_count, balance, principal, amount_due) "
        f"SELECT snapshot_date, {keys}, MAX(employee_name), COUNT(*), SUM(balance), SUM(principal), SUM(COALESCE(due_amount, balance)) "
        f"FROM {qn(PortfolioSnapshot._meta.db_table)} WHERE snapshot_date = %s GROUP BY snapshot_date, {keys}",
        [as_of],
    )
    return max(cursor.rowcount, 0)


def portfolio_summary_rebuild(*, as_of: date) -> int:
    """Rebuild one date's summary rows from its snapshot rows (for dates
    snapshotted before the summaries existed); the number of rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        return _summarise(cursor, as_of)
