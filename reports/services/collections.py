"""Keeping the collections summary: each (snapshot, day) pair a report can
read, its completed payments summed by the snapshot's branch, employee and
assignee (``reports.collected`` says which pairs and how reports read them).

``collection_summary_refresh`` runs every 15 minutes on Celery beat (so
after the nightly snapshot too), and by hand (``manage.py
summarise_collections``). Each run:

1. notes when it began (``CollectionRefresh``);
2. finds the days with a payment saved since the previous finished run
   began, less ``CHANGE_MARGIN`` (late and back-dated payments, completions,
   refunds);
3. sums again, pair by pair, every pair of those days, every pair whose
   snapshot date was taken again, and every pair not summed yet up to
   yesterday; each run of days of one snapshot is replaced in one
   transaction (DELETE, INSERT … SELECT … GROUP BY), so a report reads the
   old sums or the new, never none;
4. drops the pairs of snapshot dates that no longer exist.

Days from today on are never summed (their payments are still coming): a
report sums them live.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from reports import collected
from reports.models import CollectionDay, CollectionRefresh, CollectionSummary, PortfolioSummary

LOCK_NAME = "reports.collection_summary"


@contextmanager
def _one_run_at_a_time() -> Iterator[bool]:
    """Hold a named lock (MariaDB GET_LOCK) for the run; False if another run
    holds it. Two runs at once could each miss what the other changed."""
    if connection.vendor != "mysql":
        yield True
        return
    name = f"{LOCK_NAME}:{connection.settings_dict['NAME']}"[:64]
    with connection.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", [name])
        held = cursor.fetchone()[0] == 1
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT RELEASE_LOCK(%s)", [name])


def _snapshot_dates() -> list[date]:
    return list(PortfolioSummary.objects.order_by("snapshot_date").values_list("snapshot_date", flat=True).distinct())


def needed_pairs(dates: list[date], today: date) -> dict[date, set[date]]:
    """{snapshot date: days} of every pair a report can read, for the days
    from the first snapshot (the agents report reads its own day against
    it) up to yesterday."""
    needed: dict[date, set[date]] = defaultdict(set)
    if not dates:
        return needed
    day = dates[0]
    while day < today:
        for opening in collected.openings_of(day, dates):
            needed[opening].add(day)
        day += timedelta(days=1)
    return needed


def _build(opening: date, first: date, stop: date, taken_at: datetime, built_at: datetime) -> None:
    """Replace the sums of ``opening``'s pairs for days [first, stop), in one transaction."""
    qn = connection.ops.quote_name
    summaries = qn(CollectionSummary._meta.db_table)
    days = qn(CollectionDay._meta.db_table)
    pay_day, day_params = connection.ops.datetime_cast_date_sql("p.payment_date", (), timezone.get_current_timezone_name())
    d = connection.ops.adapt_datefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {summaries} WHERE opening_date = %s AND pay_date >= %s AND pay_date < %s", [d(opening), d(first), d(stop)])
        source, source_params = collected.attributed_payments([(first, stop)])
        cursor.execute(
            f"INSERT INTO {summaries} (opening_date, pay_date, branch, employee_id, assigned_to_id, payments, amount) "
            f"SELECT %s, {pay_day}, s.branch, s.employee_id, s.assigned_to_id, COUNT(*), SUM(p.amount) FROM {source} "
            f"GROUP BY 2, s.branch, s.employee_id, s.assigned_to_id",
            [d(opening), *day_params, *source_params, d(opening)],
        )
        cursor.execute(f"DELETE FROM {days} WHERE opening_date = %s AND pay_date >= %s AND pay_date < %s", [d(opening), d(first), d(stop)])
        CollectionDay.objects.bulk_create([
            CollectionDay(opening_date=opening, pay_date=first + timedelta(days=k), snapshot_taken_at=taken_at, built_at=built_at)
            for k in range((stop - first).days)
        ])


def collection_summary_refresh(*, progress: Callable[[int], None] | None = None) -> CollectionRefresh | None:
    """Bring the collections summary up to date (see the module docstring).
    Returns the run, or None when another run holds the lock. ``progress``
    is called with the number of pairs summed after each run of days."""
    with _one_run_at_a_time() as held:
        if not held:
            return None
        clock = time.monotonic()
        # Before anything is read: the changes this run may not see are all
        # stamped after this, less the margin, and the next run looks at them.
        started = timezone.now()
        previous = collected.latest_refresh()
        run = CollectionRefresh.objects.create(started_at=started)
        today = timezone.localdate(started)
        dates = _snapshot_dates()
        needed = needed_pairs(dates, today)
        built = dict(((o, d), taken) for o, d, taken in CollectionDay.objects.values_list("opening_date", "pay_date", "snapshot_taken_at"))
        versions = collected.snapshot_versions(set(needed) | {o for o, _d in built})
        # No finished run before: nothing summed can be trusted.
        changed = collected.changed_days(previous - collected.CHANGE_MARGIN) if previous else None
        run.changed_days = len(changed) if changed is not None else 0

        gone = sorted({o for o, _d in built if o not in versions})
        for opening in gone:
            with transaction.atomic():
                run.days_dropped += CollectionDay.objects.filter(opening_date=opening).delete()[0]
                CollectionSummary.objects.filter(opening_date=opening).delete()

        todo: dict[date, list[date]] = defaultdict(list)
        # A date with summary rows but no snapshot rows (its rows dropped by
        # hand) has nothing to sum against: reports read it live, and find nothing.
        pairs = {(o, d) for o, days in needed.items() for d in days if o in versions} | {p for p in built if p[0] in versions}
        for opening, day in pairs:
            if (opening, day) not in built or built[(opening, day)] != versions[opening] or changed is None or day in changed:
                todo[opening].append(day)
        for opening in sorted(todo):
            for first, stop in collected.day_runs(sorted(todo[opening])):
                _build(opening, first, stop, versions[opening], started)
                run.days_built += (stop - first).days
                if progress:
                    progress((stop - first).days)
        run.finished_at = timezone.now()
        run.seconds = round(time.monotonic() - clock, 3)
        run.save()
        return run
