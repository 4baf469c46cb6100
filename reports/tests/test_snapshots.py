"""Taking a snapshot: what a row holds, re-running a date, the command and the beat task."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from debts.choices import DebtStatus
from debts.models import Debt
from debts.tests.factories import DebtFactory
from reports import services, tasks
from reports.models import PortfolioSnapshot, PortfolioSummary


@pytest.fixture
def debts(db, django_user_model):
    agent = django_user_model.objects.create_user(username="agent1")
    return [
        DebtFactory(branch="Kampala", employee_id="E1", employee_name="Esther", assigned_to=agent, issue_date=date(2026, 1, 10),
                    original_amount=Decimal("1500.00"), current_balance=Decimal("1200.50"), due_amount=Decimal("150.00"), days_past_due=31),
        DebtFactory(issue_date=date(2026, 3, 1), days_past_due=0),
        DebtFactory(issue_date=None, status=DebtStatus.WRITTEN_OFF, days_past_due=200),
    ]


def test_a_row_is_the_debt_as_it_stands(debts):
    result = services.portfolio_snapshot_take(as_of=date(2026, 2, 28))
    # The debt issued in March is not in February's book.
    assert (result.rows_written, result.rows_deleted, result.previous_month_end) == (2, 0, None)
    row = PortfolioSnapshot.objects.get(snapshot_date=date(2026, 2, 28), debt=debts[0])
    assert (row.branch, row.employee_id, row.employee_name, row.assigned_to_id) == ("Kampala", "E1", "Esther", debts[0].assigned_to_id)
    assert (row.status, row.days_past_due, row.bucket, row.prev_bucket) == ("ACTIVE", 31, "d31_60", "")
    assert (row.balance, row.due_amount, row.principal) == (Decimal("1200.50"), Decimal("150.00"), Decimal("1500.00"))
    assert (row.issue_date, row.disbursement_month, row.months_on_book) == (date(2026, 1, 10), date(2026, 1, 1), 1)
    written_off = PortfolioSnapshot.objects.get(snapshot_date=date(2026, 2, 28), debt=debts[2])
    assert (written_off.bucket, written_off.months_on_book, written_off.disbursement_month) == ("written_off", None, None)
    # The date's sums, one row per (branch, employee, assignee, bucket, previous bucket, disbursement month).
    summary = PortfolioSummary.objects.filter(snapshot_date=date(2026, 2, 28)).order_by("bucket")
    assert result.summary_rows == 2
    assert [(s.bucket, s.branch, s.employee_id, s.assigned_to_id, s.debt_count, s.balance, s.principal, s.amount_due) for s in summary] == [
        ("d31_60", "Kampala", "E1", debts[0].assigned_to_id, 1, Decimal("1200.50"), Decimal("1500.00"), Decimal("150.00")),
        ("written_off", debts[2].branch, "", None, 1, debts[2].current_balance, debts[2].original_amount, debts[2].current_balance),
    ]


def test_rerunning_a_date_replaces_it_and_the_next_month_rolls_from_it(debts):
    services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    Debt.objects.filter(pk=debts[0].pk).update(days_past_due=0, current_balance=Decimal("900.00"))
    again = services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    assert (again.rows_written, again.rows_deleted) == (3, 3)
    assert PortfolioSnapshot.objects.filter(snapshot_date=date(2026, 3, 31)).count() == 3
    row = PortfolioSnapshot.objects.get(snapshot_date=date(2026, 3, 31), debt=debts[0])
    assert (row.bucket, row.balance) == ("current", Decimal("900.00"))
    sums = PortfolioSummary.objects.filter(snapshot_date=date(2026, 3, 31))
    assert sum(s.debt_count for s in sums) == 3
    assert sums.get(employee_id="E1").balance == Decimal("900.00")

    Debt.objects.filter(pk=debts[0].pk).update(days_past_due=12)
    april = services.portfolio_snapshot_take(as_of=date(2026, 4, 15), batch_size=1)  # one debt id per statement
    assert (april.previous_month_end, april.rows_written) == (date(2026, 3, 31), 3)
    row = PortfolioSnapshot.objects.get(snapshot_date=date(2026, 4, 15), debt=debts[0])
    assert (row.prev_bucket, row.bucket, row.months_on_book) == ("current", "d1_30", 3)


def test_a_failed_run_leaves_the_date_as_it_was(debts, monkeypatch):
    services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    calls = []

    def boom(n):
        calls.append(n)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        services.portfolio_snapshot_take(as_of=date(2026, 3, 31), batch_size=1, progress=boom)
    assert PortfolioSnapshot.objects.filter(snapshot_date=date(2026, 3, 31)).count() == 3
    assert sum(s.debt_count for s in PortfolioSummary.objects.filter(snapshot_date=date(2026, 3, 31))) == 3


def test_the_summary_of_a_date_can_be_rebuilt_from_its_rows(debts):
    services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    PortfolioSummary.objects.all().delete()
    assert services.portfolio_summary_rebuild(as_of=date(2026, 3, 31)) == 3
    assert sum(s.debt_count for s in PortfolioSummary.objects.all()) == 3


def test_the_command_backfills_a_date_and_reports(debts):
    out = StringIO()
    call_command("snapshot_portfolio", "--as-of", "2026-03-31", "--no-progress", stdout=out)
    assert "Snapshot of 2026-03-31: 3 debts written" in out.getvalue()
    out = StringIO()
    call_command("snapshot_portfolio", "--as-of", "2026-03-31", "--no-progress", stdout=out)
    assert "(3 rows of that date replaced)" in out.getvalue()
    assert PortfolioSnapshot.objects.count() == 3
    PortfolioSummary.objects.all().delete()
    out = StringIO()
    call_command("snapshot_portfolio", "--as-of", "2026-03-31", "--summary-only", stdout=out)
    assert "Summary of 2026-03-31: 3 rows written." in out.getvalue()


@pytest.mark.parametrize("args, message", [
    (["--as-of", "31/03/2026"], "not a date"), (["--batch-size", "0"], "at least 1"), (["--summary-only"], "needs --as-of"),
])
def test_the_command_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("snapshot_portfolio", *args, "--no-progress")


def test_a_date_after_today_is_refused_and_writes_nothing(debts):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(CommandError, match="after today"):
        call_command("snapshot_portfolio", "--as-of", tomorrow.isoformat(), "--no-progress")
    with pytest.raises(ValueError, match="after today"):
        services.portfolio_snapshot_take(as_of=tomorrow)
    assert not PortfolioSnapshot.objects.filter(snapshot_date=tomorrow).exists()


def test_the_beat_task_snapshots_today(debts):
    result = tasks.snapshot_portfolio.apply().get()
    assert result["rows_written"] >= 2
    assert settings.CELERY_BEAT_SCHEDULE["snapshot-portfolio-nightly"]["task"] == "reports.tasks.snapshot_portfolio"


def test_the_collections_summary_never_runs_in_the_snapshots_minute():
    # The snapshot's partition swap waits behind the summary's reads of
    # portfolio_snapshots; the summary runs 7 minutes after it instead.
    def minutes_of_day(entry):
        schedule = settings.CELERY_BEAT_SCHEDULE[entry]["schedule"]
        return {h * 60 + m for h in schedule.hour for m in schedule.minute}

    snapshot, summary = minutes_of_day("snapshot-portfolio-nightly"), minutes_of_day("summarise-collections")
    assert snapshot == {2 * 60 + 30}
    assert not snapshot & summary
    assert min(m for m in summary if m > 150) == 2 * 60 + 37
    assert len(summary) == 96  # still every 15 minutes


def test_an_empty_book_writes_nothing(db):
    result = services.portfolio_snapshot_take(as_of=date(2026, 1, 31))
    assert (result.rows_written, result.rows_deleted) == (0, 0)


# --- A past date, from the debts' history ------------------------------------

D = date(2026, 5, 31)


def _history_at(debt, when: datetime) -> None:
    """Date the debt's history rows so far at ``when`` (as if it was recorded then)."""
    Debt.history.filter(id=debt.pk).update(history_date=when)


@pytest.fixture
def history_book(db):
    """Three debts with a history before D, changed after it; one with no history by D."""
    before = timezone.make_aware(datetime(2026, 5, 20, 9, 0))
    changed = DebtFactory(branch="Gulu", employee_id="E7", issue_date=date(2026, 1, 5), original_amount=Decimal("5000.00"),
                          current_balance=Decimal("4000.00"), due_amount=Decimal("500.00"), due_date=date(2026, 5, 21),
                          status=DebtStatus.ACTIVE, days_past_due=0)
    _history_at(changed, before)
    # After D: paid down, moved branch, then defaulted by the nightly run (no history for days past due).
    changed.current_balance, changed.branch, changed.status = Decimal("1000.00"), "Kampala", DebtStatus.DEFAULTED
    changed.save()
    Debt.objects.filter(pk=changed.pk).update(days_past_due=120)

    # Late on D itself (23:30 Kampala time) still counts for D; 00:30 the next day does not.
    paid_off = DebtFactory(issue_date=date(2026, 2, 1), current_balance=Decimal("300.00"), status=DebtStatus.ACTIVE)
    _history_at(paid_off, timezone.make_aware(datetime(2026, 5, 31, 23, 30)))
    paid_off.current_balance, paid_off.status = Decimal("0.00"), DebtStatus.PAID_OFF
    paid_off.save()
    Debt.history.filter(id=paid_off.pk, history_type="~").update(history_date=timezone.make_aware(datetime(2026, 6, 1, 0, 30)))

    deleted = DebtFactory(issue_date=date(2026, 1, 1))
    _history_at(deleted, before)
    gone = Debt.history.filter(id=deleted.pk).first()
    gone.pk, gone.history_type, gone.history_date = None, "-", timezone.make_aware(datetime(2026, 5, 25))
    gone.save()

    imported_later = DebtFactory(issue_date=date(2026, 3, 1), current_balance=Decimal("777.00"), days_past_due=40)
    Debt.history.filter(id=imported_later.pk).update(history_date=timezone.make_aware(datetime(2026, 7, 1)))
    return {"changed": changed, "paid_off": paid_off, "deleted": deleted, "imported_later": imported_later}


def test_a_past_date_is_rebuilt_from_history(history_book):
    result = services.portfolio_snapshot_take(as_of=D)
    assert result.from_history
    assert (result.history_rows, result.fallback_rows, result.rows_written) == (2, 1, 3)
    rows = {row.debt_id: row for row in PortfolioSnapshot.objects.filter(snapshot_date=D)}
    # The debt deleted (in history) before D is not in D's book.
    assert history_book["deleted"].pk not in rows
    changed = rows[history_book["changed"].pk]
    # D's values, not today's: balance 4,000 in Gulu, active, 10 days past its
    # 21 May due date counted to 31 May (today it is 120 days and defaulted).
    assert (changed.balance, changed.branch, changed.status) == (Decimal("4000.00"), "Gulu", "ACTIVE")
    assert (changed.days_past_due, changed.bucket) == (10, "d1_30")
    paid_off = rows[history_book["paid_off"].pk]
    assert (paid_off.balance, paid_off.status, paid_off.bucket) == (Decimal("300.00"), "ACTIVE", "current")
    # No history by D: recorded as it stands now, and counted.
    later = rows[history_book["imported_later"].pk]
    assert (later.balance, later.days_past_due, later.bucket) == (Decimal("777.00"), 40, "d31_60")
    sums = PortfolioSummary.objects.filter(snapshot_date=D)
    assert sum(s.debt_count for s in sums) == 3
    assert sum(s.balance for s in sums) == Decimal("4000.00") + Decimal("300.00") + Decimal("777.00")


def test_today_is_the_debts_as_they_stand(history_book):
    result = services.portfolio_snapshot_take()
    assert not result.from_history
    row = PortfolioSnapshot.objects.get(snapshot_date=result.as_of, debt=history_book["changed"])
    assert (row.balance, row.status, row.days_past_due, row.bucket) == (Decimal("1000.00"), "DEFAULTED", 120, "d90_plus")
    # Every debt in the table today (the faked deletion is only in history).
    assert (result.rows_written, result.history_rows, result.fallback_rows) == (4, 0, 4)


def test_the_command_says_which_debts_had_no_history(history_book):
    out = StringIO()
    call_command("snapshot_portfolio", "--as-of", D.isoformat(), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "Snapshot of 2026-05-31: 3 debts written" in text
    assert "2 rebuilt from history as of the end of 2026-05-31" in text
    assert "1 debt with no history by then, recorded as it stands now" in text


# --- Replacing a date on MariaDB: a partition swapped in ----------------------

mariadb_only = pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.mysql",
                                  reason="partitions are MariaDB's")


def _partition_rows(name: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM portfolio_snapshots PARTITION ({name})")
        return cursor.fetchone()[0]


def _has_partition(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE()"
                       " AND TABLE_NAME = 'portfolio_snapshots' AND PARTITION_NAME = %s", [name])
        return cursor.fetchone()[0] > 0


def _tables_like(pattern: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW TABLES LIKE %s", [pattern])
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def committed_debts(transactional_db):
    return [DebtFactory(issue_date=date(2026, 1, 10), current_balance=Decimal("100.00"), days_past_due=0) for _ in range(3)]


@mariadb_only
def test_a_rerun_swaps_the_dates_partition_and_readers_never_see_half_of_it(committed_debts):
    first = services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    assert (first.method, first.rows_written, first.rows_deleted) == ("exchange", 3, 0)
    assert _partition_rows("p20260331") == 3

    Debt.objects.filter(pk=committed_debts[0].pk).update(current_balance=Decimal("40.00"), days_past_due=45)
    seen = []

    def read_from_another_connection(n):
        # What a report sees while the new rows are being written.
        def read():
            try:
                rows = PortfolioSnapshot.objects.filter(snapshot_date=date(2026, 3, 31))
                seen.append((rows.count(), str(rows.get(debt=committed_debts[0]).balance),
                             sum(s.debt_count for s in PortfolioSummary.objects.filter(snapshot_date=date(2026, 3, 31)))))
            finally:
                connections.close_all()
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()

    again = services.portfolio_snapshot_take(as_of=date(2026, 3, 31), batch_size=1, progress=read_from_another_connection)
    assert (again.method, again.rows_written, again.rows_deleted, again.summary_rows) == ("exchange", 3, 3, 2)
    assert seen and all(s == (3, "100.00", 3) for s in seen)
    row = PortfolioSnapshot.objects.get(snapshot_date=date(2026, 3, 31), debt=committed_debts[0])
    assert (row.balance, row.bucket) == (Decimal("40.00"), "d31_60")
    sums = {s.bucket: (s.debt_count, s.balance) for s in PortfolioSummary.objects.filter(snapshot_date=date(2026, 3, 31))}
    assert sums == {"current": (2, Decimal("200.00")), "d31_60": (1, Decimal("40.00"))}
    assert _tables_like("portfolio_snapshots_stage%") == []


@mariadb_only
def test_a_failed_swap_run_leaves_the_date_and_drops_its_staging(committed_debts):
    services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    Debt.objects.update(current_balance=Decimal("1.00"))

    def boom(n):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        services.portfolio_snapshot_take(as_of=date(2026, 3, 31), progress=boom)
    assert [str(b) for b in PortfolioSnapshot.objects.filter(snapshot_date=date(2026, 3, 31)).values_list("balance", flat=True)] == ["100.00"] * 3
    assert sum(s.balance for s in PortfolioSummary.objects.filter(snapshot_date=date(2026, 3, 31))) == Decimal("300.00")
    assert _tables_like("portfolio_snapshots_stage%") == []
    # The run's lock was released: the next run goes through.
    assert services.portfolio_snapshot_take(as_of=date(2026, 3, 31)).rows_deleted == 3


@mariadb_only
def test_rows_written_inside_a_transaction_move_to_their_own_partition(committed_debts):
    # A date with no partition yet (partitions outlive a test's rows).
    day = date(2026, 4, 30)
    while _has_partition(services.snapshots.partition_name(day)):
        day -= timedelta(days=1)
    # Inside a caller's transaction the date is replaced in place (DDL would
    # commit the caller's work): its rows land in the DEFAULT partition.
    with transaction.atomic():
        assert services.portfolio_snapshot_take(as_of=day).method == "in_place"
    assert _partition_rows("p_default") == 3
    # The next run outside a transaction splits the date off (moving its rows)
    # and swaps: the date has 3 rows, not 6, and the default is empty again.
    again = services.portfolio_snapshot_take(as_of=day)
    assert (again.method, again.rows_deleted, again.rows_written) == ("exchange", 3, 3)
    assert PortfolioSnapshot.objects.filter(snapshot_date=day).count() == 3
    assert (_partition_rows(services.snapshots.partition_name(day)), _partition_rows("p_default")) == (3, 0)


@mariadb_only
def test_a_table_left_unpartitioned_is_named_and_partitioned_by_the_command(committed_debts):
    # A database that applied migration 0004 while it was an empty placeholder.
    services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE portfolio_snapshots REMOVE PARTITIONING")
    try:
        out = StringIO()
        call_command("snapshot_portfolio", "--as-of", "2026-03-31", "--no-progress", stdout=out)
        assert "(3 rows of that date replaced)" in out.getvalue()  # in place, still whole
        assert "portfolio_snapshots is not partitioned here" in out.getvalue()
        out = StringIO()
        call_command("snapshot_portfolio", "--partition", stdout=out)
        assert "portfolio_snapshots partitioned by date." in out.getvalue()
        assert (_partition_rows("p20260331"), _partition_rows("p_default")) == (3, 0)
        out = StringIO()
        call_command("snapshot_portfolio", "--partition", stdout=out)
        assert "already partitioned" in out.getvalue()
        assert services.portfolio_snapshot_take(as_of=date(2026, 3, 31)).method == "exchange"
    finally:
        services.snapshots.portfolio_snapshots_partition()


@mariadb_only
def test_a_swap_waits_for_a_running_reader_only_so_long(committed_debts, monkeypatch):
    services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    Debt.objects.update(current_balance=Decimal("1.00"))
    monkeypatch.setattr(services.snapshots, "DDL_LOCK_WAIT_SECONDS", 1)
    reading, done = threading.Event(), threading.Event()

    def long_report():
        # A report's transaction that has read the table and is still open.
        try:
            with transaction.atomic():
                list(PortfolioSnapshot.objects.filter(snapshot_date=date(2026, 3, 31)))
                reading.set()
                done.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=long_report)
    thread.start()
    try:
        assert reading.wait(30)
        with pytest.raises(OperationalError, match="Lock wait timeout"):
            services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    finally:
        done.set()
        thread.join()
    # The date as it was, no staging left, and the next run goes through.
    assert [str(b) for b in PortfolioSnapshot.objects.filter(snapshot_date=date(2026, 3, 31)).values_list("balance", flat=True)] == ["100.00"] * 3
    assert _tables_like("portfolio_snapshots_stage%") == []
    assert services.portfolio_snapshot_take(as_of=date(2026, 3, 31)).rows_written == 3


@pytest.mark.parametrize("typo", ["0206-03-31", "1899-12-31"])
def test_a_date_before_the_reports_range_is_refused_and_writes_nothing(debts, typo):
    """A mistyped year (0206 for 2026) would be a snapshot no report can
    read (they take dates from 1900-01-01) that the collections summary
    then sums day by day from that year to today."""
    with pytest.raises(CommandError, match="before 1900-01-01"):
        call_command("snapshot_portfolio", "--as-of", typo, "--no-progress")
    with pytest.raises(ValueError, match="before 1900-01-01"):
        services.portfolio_snapshot_take(as_of=date.fromisoformat(typo))
    assert not PortfolioSnapshot.objects.exists()
    assert services.collection_summary_refresh().days_built == 0
