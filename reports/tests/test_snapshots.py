"""Taking a snapshot: what a row holds, re-running a date, the command and the beat task."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

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


def test_the_beat_task_snapshots_today(debts):
    result = tasks.snapshot_portfolio.apply().get()
    assert result["rows_written"] >= 2
    assert settings.CELERY_BEAT_SCHEDULE["snapshot-portfolio-nightly"]["task"] == "reports.tasks.snapshot_portfolio"


def test_an_empty_book_writes_nothing(db):
    result = services.portfolio_snapshot_take(as_of=date(2026, 1, 31))
    assert (result.rows_written, result.rows_deleted) == (0, 0)
