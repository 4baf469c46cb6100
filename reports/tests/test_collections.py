"""The collections summary: collection efficiency and the agents report read
amount collected from it where it is current and sum the payments live where
not, and answer the same either way (the hand-computed scenario's figures,
then after a refund, a late payment and a snapshot taken again)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from debts import services as debt_services
from debts.choices import PaymentStatus
from debts.models import Debt, Payment
from reports import collected, reporting, selectors, services, tasks
from reports.choices import Period, Report
from reports.filters import ReportFilters
from reports.models import CollectionDay, CollectionRefresh, CollectionSummary, PortfolioSnapshot, PortfolioSummary
from reports.services.collections import LOCK_NAME
from reports.tests import scenario

RANGE = ReportFilters(date_from=date(2026, 2, 1), date_to=date(2026, 4, 30))
FEB_10 = date(2026, 2, 10)


@pytest.fixture
def book(db, monkeypatch):
    # No margin: a change saved before a refresh began counts as seen by it
    # (the margin's own test below puts it back).
    monkeypatch.setattr(collected, "CHANGE_MARGIN", timedelta(0))
    return scenario.build()


@pytest.fixture
def refunder(db):
    return get_user_model().objects.create_superuser(username="finance", password="x")


def rows(report: str, table: str, filters: ReportFilters = RANGE, **params) -> list[dict]:
    return reporting.as_json(reporting.build(report, filters, params))["tables"][table]["rows"]


def every_figure() -> dict:
    """What the two reports answer for amount collected, every way they are asked."""
    out = {f"efficiency/{p}/{t}": rows(Report.COLLECTION_EFFICIENCY, t, period=p)
           for p in Period.values for t in ("by_period", "by_branch", "by_agent")}
    out["efficiency/gulu"] = rows(Report.COLLECTION_EFFICIENCY, "by_agent", ReportFilters(RANGE.date_from, RANGE.date_to, branch="Gulu"), period="week")
    out["agents"] = [(r["agent"], r["amount_collected"]) for r in rows(Report.AGENTS, "agents")]
    out["agents/e1"] = [(r["agent"], r["amount_collected"]) for r in rows(Report.AGENTS, "agents", ReportFilters(RANGE.date_from, RANGE.date_to, employee="E1"))]
    return out


@contextmanager
def summary_hidden():
    """Every pair summed live: no finished refresh to vouch for the summary."""
    finished = dict(CollectionRefresh.objects.filter(finished_at__isnull=False).values_list("id", "finished_at"))
    CollectionRefresh.objects.filter(id__in=finished).update(finished_at=None)
    try:
        yield
    finally:
        for run_id, at in finished.items():
            CollectionRefresh.objects.filter(id=run_id).update(finished_at=at)


def live_figures() -> dict:
    with summary_hidden():
        return every_figure()


def month_plan() -> collected.Plan:
    spans = [(date(2026, m, 1), date(2026, m + 1, 1), scenario.MONTH_ENDS[m - 2]) for m in (2, 3, 4)]
    return collected.plan([collected.Segment(s, o, s, e) for s, e, o in spans])


def feb(report_rows: list[dict], key: str) -> dict:
    return {r[key]: r["amount_collected"] for r in report_rows if r["period_start"] == "2026-02-01"}


def test_the_summary_answers_the_hand_computed_figures(book):
    live = every_figure()
    run = services.collection_summary_refresh()
    assert run.finished_at and run.changed_days == 0
    # Every pair from the first snapshot (31 January) up to yesterday.
    assert run.days_built == CollectionDay.objects.count() > 0
    assert month_plan().live_days == 0 and month_plan().summary_days == 89
    assert every_figure() == live
    # The hand-computed figures of test_reports, now read from the summary.
    assert [(r["period_start"], r["amount_collected"]) for r in rows(Report.COLLECTION_EFFICIENCY, "by_period", period="month")] == [
        ("2026-02-01", "600.00"), ("2026-03-01", "1100.00"), ("2026-04-01", "4300.00")]
    assert dict(live["agents"]) == {"alice": "4800.00", "bob": "1200.00"}
    # A day of payments on one snapshot, by its branch, employee and assignee.
    row = CollectionSummary.objects.get(opening_date=date(2026, 3, 31), pay_date=date(2026, 4, 2))
    assert (row.branch, row.employee_id, row.assigned_to.username, row.payments, row.amount) == ("Kampala", "E1", "alice", 1, Decimal("2700.00"))


def test_a_second_run_with_nothing_changed_sums_nothing_again(book):
    services.collection_summary_refresh()
    again = services.collection_summary_refresh()
    assert (again.changed_days, again.days_built, again.days_dropped) == (0, 0, 0)


def test_a_payment_refunded_after_the_summary_was_built_changes_the_reports(book, refunder):
    services.collection_summary_refresh()
    payment = Payment.objects.get(debt=book["debts"]["D1"], payment_date__date=FEB_10)
    debt_services.payment_refund(payment_id=payment.pk, refunded_by=refunder, reason="Sent to the wrong account")

    # 10 February is read live now; every other day still from the summary.
    assert month_plan().live_days == 1
    assert feb(rows(Report.COLLECTION_EFFICIENCY, "by_period", period="month"), "period_start") == {"2026-02-01": "500.00"}
    assert feb(rows(Report.COLLECTION_EFFICIENCY, "by_agent", period="month"), "agent")["alice"] == "300.00"
    assert dict((r["agent"], r["amount_collected"]) for r in rows(Report.AGENTS, "agents"))["alice"] == "4700.00"
    assert every_figure() == live_figures()

    # The next run sums that day again (its pairs only), and the day is read from the summary again.
    run = services.collection_summary_refresh()
    assert (run.changed_days, run.days_built) == (1, 1)
    assert month_plan().live_days == 0
    assert feb(rows(Report.COLLECTION_EFFICIENCY, "by_period", period="month"), "period_start") == {"2026-02-01": "500.00"}
    assert every_figure() == live_figures()


def test_a_late_payment_recorded_after_the_summary_counts(book, refunder):
    services.collection_summary_refresh()
    debt = book["debts"]["D8"]
    late = timezone.make_aware(datetime(2026, 2, 25, 9, 0))
    debt_services.payment_create(debt_id=debt.pk, amount=Decimal("50"), payment_date=late, status=PaymentStatus.COMPLETED,
                                 recorded_by=refunder)
    assert feb(rows(Report.COLLECTION_EFFICIENCY, "by_branch", period="month"), "branch")["Gulu"] == "250.00"
    assert every_figure() == live_figures()
    services.collection_summary_refresh()
    assert month_plan().live_days == 0
    assert every_figure() == live_figures()


def test_a_pending_payment_completed_later_counts_on_its_day(book, refunder):
    debt = book["debts"]["D9"]
    pending = debt_services.payment_create(debt_id=debt.pk, amount=Decimal("70"), status=PaymentStatus.PENDING,
                                           payment_date=timezone.make_aware(datetime(2026, 3, 20, 9, 0)), recorded_by=refunder)
    services.collection_summary_refresh()
    assert rows(Report.COLLECTION_EFFICIENCY, "by_period", period="month")[1]["amount_collected"] == "1100.00"
    debt_services.payment_complete(payment_id=pending.pk, completed_by=refunder)
    assert rows(Report.COLLECTION_EFFICIENCY, "by_period", period="month")[1]["amount_collected"] == "1170.00"
    assert every_figure() == live_figures()


def test_a_snapshot_taken_again_is_not_read_from_the_old_sums(book):
    services.collection_summary_refresh()
    # Bob takes over D1 and January's snapshot is taken again: the sums
    # attributed to the old take no longer match it and are not read.
    Debt.objects.filter(pk=book["debts"]["D1"].pk).update(assigned_to=book["users"]["bob"])
    services.portfolio_snapshot_take(as_of=scenario.MONTH_ENDS[0])
    assert month_plan().live_days == 28  # February, against 31 January
    assert every_figure() == live_figures()
    run = services.collection_summary_refresh()
    assert run.days_built > 0 and month_plan().live_days == 0
    assert every_figure() == live_figures()


def test_agents_are_credited_with_the_assignee_at_the_time(book):
    services.collection_summary_refresh()
    # Alice's debt D1 goes to bob today: what alice collected on it stays hers
    # (the snapshots before each payment hold her), though bob holds it now.
    Debt.objects.filter(pk=book["debts"]["D1"].pk).update(assigned_to=book["users"]["bob"])
    agents = {r["agent"]: r for r in rows(Report.AGENTS, "agents")}
    assert (agents["alice"]["amount_collected"], agents["bob"]["amount_collected"]) == ("4800.00", "1200.00")
    assert (agents["alice"]["accounts_assigned"], agents["bob"]["accounts_assigned"]) == (3, 5)


def test_a_day_with_no_snapshot_before_it_credits_no_one(book):
    # 20 January: D9's 300 came before the first snapshot (31 January).
    january = ReportFilters(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
    assert [r["amount_collected"] for r in rows(Report.AGENTS, "agents", january)] == ["0.00", "0.00"]


def test_payments_saved_within_the_margin_before_a_run_are_read_live(book, monkeypatch):
    monkeypatch.setattr(collected, "CHANGE_MARGIN", timedelta(hours=1))
    services.collection_summary_refresh()
    # The scenario's payments were saved seconds before the run began: a
    # transaction still open then could have hidden them, so their days are
    # read live until a run begins an hour after them.
    paid_days = {d for d in Payment.objects.filter(payment_date__date__gte=date(2026, 2, 1)).dates("payment_date", "day")}
    assert month_plan().live_days == len(paid_days) == 11
    assert every_figure() == live_figures()
    Payment.objects.update(updated_at=timezone.now() - timedelta(hours=2))
    assert month_plan().live_days == 0


def test_the_plan_splits_a_period_around_a_changed_day(book, refunder):
    services.collection_summary_refresh()
    payment = Payment.objects.get(debt=book["debts"]["D1"], payment_date__date=FEB_10)
    debt_services.payment_refund(payment_id=payment.pk, refunded_by=refunder, reason="Wrong account")
    plan = collected.plan([collected.Segment("feb", date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 1))])
    assert [(s.first, s.stop) for s in plan.summary] == [(date(2026, 2, 1), FEB_10), (date(2026, 2, 11), date(2026, 3, 1))]
    assert [(s.first, s.stop) for s in plan.live] == [(FEB_10, date(2026, 2, 11))]


def test_days_from_today_are_never_summed(book):
    services.collection_summary_refresh()
    today = timezone.localdate()
    assert not CollectionDay.objects.filter(pay_date__gte=today).exists()
    assert CollectionDay.objects.filter(pay_date=today - timedelta(days=1)).exists()


def test_an_empty_book_refreshes_to_nothing(db):
    run = services.collection_summary_refresh()
    assert (run.days_built, CollectionDay.objects.count()) == (0, 0)
    assert selectors.collection_efficiency(filters=RANGE).empty


def test_the_command_and_the_task(book):
    out = StringIO()
    call_command("summarise_collections", stdout=out)
    assert "pairs summed" in out.getvalue() and CollectionRefresh.objects.filter(finished_at__isnull=False).count() == 1
    result = tasks.summarise_collections()
    assert result["days_built"] == 0 and CollectionRefresh.objects.count() == 2


def test_the_pairs_of_a_snapshot_date_that_is_gone_are_dropped(book):
    services.collection_summary_refresh()
    march = scenario.MONTH_ENDS[2]
    assert CollectionDay.objects.filter(opening_date=march).exists()
    PortfolioSnapshot.objects.filter(snapshot_date=march).delete()
    PortfolioSummary.objects.filter(snapshot_date=march).delete()
    # April now opens on 28 February: its pairs on that snapshot were never summed, so they are read live.
    assert every_figure() == live_figures()
    run = services.collection_summary_refresh()
    assert run.days_dropped > 0 and not CollectionDay.objects.filter(opening_date=march).exists()
    assert not CollectionSummary.objects.filter(opening_date=march).exists()
    assert month_plan_without_march().live_days == 0
    assert every_figure() == live_figures()


def month_plan_without_march() -> collected.Plan:
    spans = [(date(2026, 2, 1), date(2026, 3, 1), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 4, 1), date(2026, 2, 28)),
             (date(2026, 4, 1), date(2026, 5, 1), date(2026, 2, 28))]
    return collected.plan([collected.Segment(s, o, s, e) for s, e, o in spans])


@pytest.mark.skipif(connection.vendor != "mysql", reason="the run lock is MariaDB's GET_LOCK; SQLite has one writer anyway")
def test_one_run_at_a_time(book):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 0)", [f"{LOCK_NAME}:{connection.settings_dict['NAME']}"[:64]])
        # Another run holds the lock: nothing is done, and the command says so.
        assert services.collection_summary_refresh() is None
        with pytest.raises(CommandError, match="in progress"):
            call_command("summarise_collections", "--no-progress")
        assert tasks.summarise_collections() == {"skipped": True}
        assert not CollectionRefresh.objects.exists()
    finally:
        other.close()
    assert services.collection_summary_refresh().finished_at


def test_a_date_with_sums_but_no_snapshot_rows_is_skipped(book):
    # Rows dropped by hand, the date's summary rows left: nothing to sum against.
    PortfolioSnapshot.objects.filter(snapshot_date=scenario.MONTH_ENDS[1]).delete()
    run = services.collection_summary_refresh()
    assert run.finished_at and not CollectionDay.objects.filter(opening_date=scenario.MONTH_ENDS[1]).exists()
    assert every_figure() == live_figures()
