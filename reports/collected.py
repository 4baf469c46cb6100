"""Amount collected: completed payments attributed to a portfolio snapshot.

Two reports count what was collected, each against a snapshot of the book:

* collection efficiency: the payments dated in a period on the debts of the
  period's opening snapshot (the last snapshot before the period starts),
  by that snapshot's branch and assignee;
* agents: the payments dated in the range, each credited to its debt's
  assignee on the last snapshot on or before the payment's day.

Both are sums over (snapshot, day) pairs: one day's completed payments on
the debts of one snapshot, by the snapshot's branch, employee and assignee.
The collections summary keeps those sums (``CollectionSummary``; a
``CollectionDay`` row per pair says it was summed, and from which take of the
snapshot), written by ``reports.services.collection_summary_refresh``. A
report reads a pair from the summary when it is current and sums it from the
payments themselves (live) when it is not:

* the pair was never summed (today; a day since the last refresh; a
  snapshot taken since; no refresh yet);
* its snapshot date was taken again since (``snapshot_taken_at`` differs);
* a payment dated that day was saved since the last finished refresh began,
  less ``CHANGE_MARGIN`` (a late or back-dated payment, a completion, a
  refund): every payments service saves ``updated_at``, and the index
  ``payment_updated_date`` finds those payments without a scan.

So a report answers what summing every payment live would answer (the tests
compare the two); the summary only decides how long it takes. Payments are
never deleted, and a completed payment's amount, date and debt never change
(``debts.services`` refuses it), so a change always shows as a saved row.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from debts.choices import PaymentStatus
from debts.models import Payment
from reports.choices import Period
from reports.models import CollectionDay, CollectionRefresh, CollectionSummary, PortfolioSnapshot

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# updated_at is stamped before its transaction commits: a refresh that starts
# reading between the two does not see a change whose stamp is older than the
# refresh. So changes stamped up to CHANGE_MARGIN before a refresh began are
# looked at again; a payments transaction would have to stay open that long
# (or an app server's clock be that far off) for a change to be missed.
CHANGE_MARGIN = timedelta(minutes=15)
# Columns a report may sum by: the snapshot's (live) or the summary's (stored).
GROUP_COLUMNS = ("branch", "employee_id", "assigned_to_id")
# Segments per summary statement (a UNION ALL of one SELECT each).
SUMMARY_CHUNK = 400


# --- Which snapshot a day's payments are read against ------------------------------


def period_start(period: str, day: date) -> date:
    """The first day of the week (Monday), month or quarter holding ``day``."""
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Period.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def last_before(dates: list[date], day: date) -> date | None:
    """The last of the sorted ``dates`` before ``day``."""
    i = bisect_left(dates, day)
    return dates[i - 1] if i else None


def last_on_or_before(dates: list[date], day: date) -> date | None:
    i = bisect_right(dates, day)
    return dates[i - 1] if i else None


def openings_of(day: date, dates: list[date]) -> set[date]:
    """Every snapshot a report can attribute ``day``'s payments to: the
    opening snapshot of its week, month and quarter (collection efficiency)
    and the last snapshot on or before it (agents)."""
    out = {last_before(dates, period_start(p, day)) for p in (Period.WEEK, Period.MONTH, Period.QUARTER)}
    out.add(last_on_or_before(dates, day))
    out.discard(None)
    return out  # type: ignore[return-value]


@dataclass(frozen=True)
class Segment:
    """Payments dated ``first`` up to (not including) ``stop``, on the debts of
    the snapshot of ``opening``, summed under ``key`` (a period's start; None
    for a whole range)."""

    key: object
    opening: date
    first: date
    stop: date


def credit_segments(date_from: date, date_to: date, dates: list[date]) -> list[Segment]:
    """The agents report's days ``date_from`` … ``date_to``, each against the
    last snapshot on or before it, as runs of days sharing that snapshot
    (days before the first snapshot have none and are left out)."""
    out: list[Segment] = []
    day = date_from
    while day <= date_to:
        opening = last_on_or_before(dates, day)
        i = bisect_right(dates, day)
        following = dates[i] if i < len(dates) else None
        stop = min(date_to + timedelta(days=1), following) if following else date_to + timedelta(days=1)
        if opening is not None:
            out.append(Segment(None, opening, day, stop))
        day = stop
    return out


def day_runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days, each [first, stop)."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


def local_midnight(day: date) -> datetime:
    """The first instant of ``day`` in TIME_ZONE: day bounds on payment_date
    that its index can use (no per-row time-zone conversion)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# --- What the summary holds, and whether it is current ---------------------------------


def latest_refresh() -> datetime | None:
    """When the last finished refresh began: the summary is exact for every
    payment change saved up to then, less ``CHANGE_MARGIN``."""
    return CollectionRefresh.objects.filter(finished_at__isnull=False).aggregate(t=Max("started_at"))["t"]


def changed_days(since: datetime) -> set[date]:
    """The days (TIME_ZONE) of the payments saved after ``since``."""
    return set(
        Payment.objects.order_by().filter(updated_at__gt=since).annotate(day=TruncDate("payment_date"))
        .values_list("day", flat=True).distinct()
    )


def snapshot_versions(openings) -> dict[date, datetime]:
    """When each snapshot date was written (the ``created_at`` of its rows,
    all alike: a take writes the date whole), read from its first row by key.
    A date with no rows is left out."""
    openings = sorted(set(openings))
    if not openings:
        return {}
    qn = connection.ops.quote_name
    table = qn(PortfolioSnapshot._meta.db_table)
    out: dict[date, datetime] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(openings), 500):
            chunk = openings[i:i + 500]
            marks = ", ".join(["%s"] * len(chunk))
            params = [connection.ops.adapt_datefield_value(d) for d in chunk]
            cursor.execute(
                f"SELECT s.snapshot_date, s.created_at FROM {table} s JOIN ("
                f"SELECT snapshot_date, MIN(debt_id) AS debt_id FROM {table} WHERE snapshot_date IN ({marks}) GROUP BY snapshot_date"
                f") f ON s.snapshot_date = f.snapshot_date AND s.debt_id = f.debt_id",
                params,
            )
            for day, created in cursor.fetchall():
                out[_as_date(day)] = _as_datetime(created)
    return out


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_datetime(value) -> datetime:
    """A DateTimeField value read by raw SQL, as the ORM reads it (aware, UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if settings.USE_TZ and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


@dataclass
class Plan:
    """Which segments are read from the summary and which are summed live."""

    summary: list[Segment] = field(default_factory=list)
    live: list[Segment] = field(default_factory=list)

    @property
    def live_days(self) -> int:
        return sum((s.stop - s.first).days for s in self.live)

    @property
    def summary_days(self) -> int:
        return sum((s.stop - s.first).days for s in self.summary)


def plan(segments: list[Segment]) -> Plan:
    """Split each segment into runs of days the summary holds current sums
    for and runs to sum live (see the module docstring)."""
    segments = [s for s in segments if s.first < s.stop]
    since = latest_refresh() if segments else None
    if since is None:
        return Plan(live=segments)
    openings = {s.opening for s in segments}
    built = {
        (o, d): taken for o, d, taken in CollectionDay.objects.filter(
            opening_date__in=openings, pay_date__gte=min(s.first for s in segments), pay_date__lt=max(s.stop for s in segments),
        ).values_list("opening_date", "pay_date", "snapshot_taken_at")
    }
    if not built:
        return Plan(live=segments)
    versions = snapshot_versions({o for o, _d in built})
    changed = changed_days(since - CHANGE_MARGIN)
    out = Plan()
    for seg in segments:
        current = versions.get(seg.opening)
        run_first, run_stored = seg.first, None
        day = seg.first
        while day <= seg.stop:
            stored = day < seg.stop and current is not None and built.get((seg.opening, day)) == current and day not in changed
            if day == seg.stop or (day > run_first and stored != run_stored):
                (out.summary if run_stored else out.live).append(Segment(seg.key, seg.opening, run_first, day))
                run_first = day
            run_stored = stored
            day += timedelta(days=1)
    return out


# --- Summing ---------------------------------------------------------------------------------------


def sums(segments: list[Segment], *, by: tuple[str, ...], branch: str = "", employee: str = "") -> tuple[dict[tuple, Decimal], Plan]:
    """Completed payments of each segment by the snapshot's ``by`` columns,
    narrowed to the snapshot's ``branch`` and ``employee`` when given:
    ``{(segment key, *by values): amount}``, and the plan that read them."""
    if not set(by) <= set(GROUP_COLUMNS):  # they are written into the SQL
        raise ValueError(f"Cannot sum by {by!r}; only by {GROUP_COLUMNS!r}.")
    chosen = plan(segments)
    out: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for seg, values, amount in _summary_sums(chosen.summary, by, branch, employee):
        out[(chosen.summary[seg].key, *values)] += amount
    for seg, values, amount in _live_sums(chosen.live, by, branch, employee):
        out[(chosen.live[seg].key, *values)] += amount
    return {k: v.quantize(CENT) for k, v in out.items()}, chosen


def _narrow(alias: str, branch: str, employee: str) -> tuple[str, list]:
    sql, params = "", []
    if branch:
        sql += f" AND {alias}.branch = %s"
        params.append(branch)
    if employee:
        sql += f" AND {alias}.employee_id = %s"
        params.append(employee)
    return sql, params


def _rows(cursor, width: int):
    for row in cursor.fetchall():
        yield int(row[0]), tuple(row[1:1 + width]), Decimal(row[-1])


def _summary_sums(segments: list[Segment], by: tuple[str, ...], branch: str, employee: str):
    if not segments:
        return
    qn = connection.ops.quote_name
    table = qn(CollectionSummary._meta.db_table)
    columns = ", ".join(by)
    narrow, narrow_params = _narrow("c", branch, employee)
    with connection.cursor() as cursor:
        for start in range(0, len(segments), SUMMARY_CHUNK):
            parts, params = [], []
            for i, seg in enumerate(segments[start:start + SUMMARY_CHUNK], start=start):
                parts.append(f"SELECT {i} AS seg, {', '.join(f'c.{c}' for c in by)}, c.amount FROM {table} c "
                             f"WHERE c.opening_date = %s AND c.pay_date >= %s AND c.pay_date < %s{narrow}")
                params += [connection.ops.adapt_datefield_value(d) for d in (seg.opening, seg.first, seg.stop)] + narrow_params
            cursor.execute(f"SELECT seg, {columns}, SUM(amount) FROM ({' UNION ALL '.join(parts)}) u GROUP BY seg, {columns}", params)
            yield from _rows(cursor, len(by))


def _cast(placeholder: str, kind: str) -> str:
    return placeholder if connection.vendor == "sqlite" else f"CAST({placeholder} AS {kind})"


def _dt(day: date):
    return connection.ops.adapt_datetimefield_value(local_midnight(day))


# "No limit" for a derived table: with a LIMIT MariaDB keeps its ORDER BY
# (it drops an ORDER BY it may ignore) and materialises it in that order.
NO_LIMIT = 9223372036854775807


def attributed_payments(ranges: list[tuple[date, date]], *, between: str = "") -> tuple[str, list]:
    """``FROM`` SQL (and its parameters, the snapshot date last): the
    completed payments dated in ``ranges`` (runs of days [first, stop) in
    TIME_ZONE), as ``p`` (debt_id, payment_date, amount), each joined to its
    debt's row ``s`` of one snapshot (the caller's last parameter).
    ``between`` is joined in between the two (its parameters the caller's).

    The payments are read from the index ``payment_status_date_cover`` alone
    and sorted by debt before they look up their snapshot rows by key
    (STRAIGHT_JOIN keeps that order on MariaDB), so the lookups walk the
    snapshot's rows in key order instead of jumping about a date's million
    rows: a week of 94,000 payments joins in 0.9-1.2 s instead of 5.0-5.2 s
    on the 1M-debt bench."""
    qn = connection.ops.quote_name
    join = "STRAIGHT_JOIN" if connection.vendor == "mysql" else "JOIN"
    where = " OR ".join(["(payment_date >= %s AND payment_date < %s)"] * len(ranges))
    sql = (f"(SELECT debt_id, payment_date, amount FROM {qn(Payment._meta.db_table)} WHERE status = %s AND ({where}) "
           f"ORDER BY debt_id LIMIT {NO_LIMIT}) p {between} "
           f"{join} {qn(PortfolioSnapshot._meta.db_table)} s ON s.snapshot_date = %s AND s.debt_id = p.debt_id")
    return sql, [PaymentStatus.COMPLETED, *[_dt(d) for r in ranges for d in r]]


def _live_sums(segments: list[Segment], by: tuple[str, ...], branch: str, employee: str):
    """Sum the payments of the segments from the payments table: one
    statement per snapshot."""
    if not segments:
        return
    join = "STRAIGHT_JOIN" if connection.vendor == "mysql" else "JOIN"
    columns = ", ".join(f"s.{c}" for c in by)
    narrow, narrow_params = _narrow("s", branch, employee)
    by_opening: dict[date, list[int]] = defaultdict(list)
    for i, seg in enumerate(segments):
        by_opening[seg.opening].append(i)
    with connection.cursor() as cursor:
        for opening, indexes in sorted(by_opening.items()):
            ranges = day_runs(sorted({seg.first + timedelta(days=k) for i in indexes
                                      for seg in (segments[i],) for k in range((seg.stop - seg.first).days)}))
            source, source_params = attributed_payments(ranges)
            if len(indexes) == 1:
                sql = f"SELECT {indexes[0]}, {columns}, SUM(p.amount) FROM {source} WHERE 1 = 1{narrow} GROUP BY {columns}"
                params = [*source_params, connection.ops.adapt_datefield_value(opening), *narrow_params]
            else:
                # Several periods on one snapshot (weeks on a monthly one): a
                # small typed table of their bounds says which each payment is in.
                parts, part_params = [], []
                for i in indexes:
                    parts.append(f"SELECT {i} AS seg, {_cast('%s', 'DATETIME')} AS starts, {_cast('%s', 'DATETIME')} AS ends")
                    part_params += [_dt(segments[i].first), _dt(segments[i].stop)]
                source, source_params = attributed_payments(ranges, between=(
                    f"{join} ({' UNION ALL '.join(parts)}) per ON p.payment_date >= per.starts AND p.payment_date < per.ends"))
                sql = f"SELECT per.seg, {columns}, SUM(p.amount) FROM {source} WHERE 1 = 1{narrow} GROUP BY per.seg, {columns}"
                params = [*source_params, *part_params, connection.ops.adapt_datefield_value(opening), *narrow_params]
            cursor.execute(sql, params)
            yield from _rows(cursor, len(by))
