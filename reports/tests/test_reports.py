"""Each report against the hand-computed scenario (``scenario.py``): the
expected matrices and rates are worked out by hand and written here."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports import reporting, selectors
from reports.choices import Report
from reports.filters import ReportFilters
from reports.tests import scenario

RANGE = ReportFilters(date_from=date(2026, 2, 1), date_to=date(2026, 4, 30))


@pytest.fixture
def book(db):
    return scenario.build()


def rows(report: str, table: str, filters: ReportFilters = RANGE, **params) -> list[dict]:
    return reporting.as_json(reporting.build(report, filters, params))["tables"][table]["rows"]


def test_aging_on_the_last_snapshot(book):
    summary = rows(Report.AGING, "summary")
    assert [(r["bucket"], r["debt_count"], r["outstanding"]) for r in summary] == [
        ("Current", 5, "18000.00"), ("1–30", 1, "2000.00"), ("31–60", 2, "11000.00"), ("61–90", 0, "0.00"),
        ("90+", 2, "3000.00"), ("Total", 10, "34000.00"),
    ]
    assert summary[0]["share_of_outstanding"] == pytest.approx(0.5294)  # 18000 / 34000
    by_branch = {r["branch"]: r for r in rows(Report.AGING, "by_branch")}
    assert (by_branch["Kampala"]["count_current"], by_branch["Kampala"]["count_d31_60"], by_branch["Kampala"]["count_d90_plus"]) == (2, 1, 1)
    assert (by_branch["Kampala"]["count_total"], by_branch["Kampala"]["outstanding_total"]) == (4, "13000.00")
    assert (by_branch["Gulu"]["count_total"], by_branch["Gulu"]["outstanding_total"], by_branch["Gulu"]["outstanding_d1_30"]) == (6, "21000.00", "2000.00")
    by_employee = rows(Report.AGING, "by_employee")
    assert [(r["employee_id"], r["employee_name"], r["count_total"]) for r in by_employee] == [("E2", "Emmanuel", 6), ("E1", "Esther", 4)]
    # An earlier date_to reads that month's snapshot: January had 10 debts, all open.
    jan = reporting.build(Report.AGING, ReportFilters(date_from=date(2026, 1, 1), date_to=date(2026, 2, 27)))
    assert jan.meta == {"snapshot_date": "2026-01-31"}
    assert reporting.as_json(jan)["tables"]["summary"]["rows"][-1]["debt_count"] == 10


def test_aging_filters_by_branch_and_employee(book):
    gulu = rows(Report.AGING, "summary", ReportFilters(date_from=RANGE.date_from, date_to=RANGE.date_to, branch="Gulu"))
    assert gulu[-1] == {"bucket": "Total", "debt_count": 6, "outstanding": "21000.00", "share_of_count": 1.0, "share_of_outstanding": 1.0}
    e1 = rows(Report.AGING, "summary", ReportFilters(date_from=RANGE.date_from, date_to=RANGE.date_to, employee="E1"))
    assert e1[-1]["outstanding"] == "13000.00"


def test_roll_rate_matrix_and_rates(book):
    counts = {r["from_bucket"]: r for r in rows(Report.ROLL_RATES, "matrix_counts", months=6)}
    order = ["current", "d1_30", "d31_60", "d61_90", "d90_plus", "closed", "written_off", "total"]
    assert [counts["Current"][k] for k in order] == [11, 5, 0, 0, 0, 1, 0, 17]
    assert [counts["1–30"][k] for k in order] == [2, 0, 5, 0, 0, 0, 0, 7]
    assert [counts["31–60"][k] for k in order] == [2, 0, 0, 2, 0, 0, 0, 4]
    assert [counts["61–90"][k] for k in order] == [0, 0, 0, 0, 2, 0, 0, 2]
    assert [counts["90+"][k] for k in order] == [0, 0, 0, 0, 3, 0, 1, 4]
    shares = {r["from_bucket"]: r for r in rows(Report.ROLL_RATES, "matrix_shares", months=6)}
    assert shares["1–30"]["current"] == pytest.approx(0.2857) and shares["1–30"]["d31_60"] == pytest.approx(0.7143)

    by_month = rows(Report.ROLL_RATES, "rates_by_month", months=6)
    assert [(r["month"], r["debts"], r["delinquent"], r["cured"], r["cure_rate"], r["rolled_forward"], r["roll_forward_rate"],
             r["balance_rolled_forward"]) for r in by_month] == [
        ("2026-02-28", 10, 5, 1, 0.2, 5, 0.5, "16000.00"),
        ("2026-03-31", 12, 6, 2, 0.3333, 5, 0.4167, "19000.00"),
        ("2026-04-30", 12, 6, 1, 0.1667, 5, 0.4167, "20000.00"),
    ]
    by_bucket = rows(Report.ROLL_RATES, "rates_by_bucket", months=6)
    assert [(r["from_bucket"], r["debts"], r["cure_rate"], r["roll_forward_rate"]) for r in by_bucket] == [
        ("Current", 17, None, 0.2941), ("1–30", 7, 0.2857, 0.7143), ("31–60", 4, 0.5, 0.5), ("61–90", 2, 0.0, 1.0), ("90+", 4, 0.0, 0.25),
    ]
    # months=1: only April's transitions.
    assert [r["month"] for r in rows(Report.ROLL_RATES, "rates_by_month", months=1)] == ["2026-04-30"]


def test_vintage_shares(book):
    everything = ReportFilters(date_from=date(2026, 1, 1), date_to=date(2026, 4, 30))
    share_30 = {r["disbursement_month"]: r for r in rows(Report.VINTAGE, "share_30_plus", everything)}
    assert share_30["2025-12-01"] == {"disbursement_month": "2025-12-01", "mob_1": 0.1111, "mob_2": 0.3333, "mob_3": 0.4444, "mob_4": 0.3333}
    assert share_30["2026-01-01"] == {"disbursement_month": "2026-01-01", "mob_1": 0.4091, "mob_2": 0.2273, "mob_3": 0.5, "mob_4": None}
    assert share_30["2026-02-01"] == {"disbursement_month": "2026-02-01", "mob_1": 0.0, "mob_2": 0.4545, "mob_3": None, "mob_4": None}
    share_90 = {r["disbursement_month"]: r for r in rows(Report.VINTAGE, "share_90_plus", everything)}
    assert share_90["2025-12-01"] == {"disbursement_month": "2025-12-01", "mob_1": 0.1111, "mob_2": 0.1111, "mob_3": 0.1111, "mob_4": 0.3333}
    assert share_90["2026-01-01"] == {
        "disbursement_month": "2026-01-01", "mob_1": 0.0, "mob_2": 0.2273, "mob_3": 0.2273, "mob_4": None}
    principal = rows(Report.VINTAGE, "principal", everything)
    assert [(r["disbursement_month"], r["debt_count"], r["principal"]) for r in principal] == [
        ("2025-12-01", 5, "9000.00"), ("2026-01-01", 5, "22000.00"), ("2026-02-01", 2, "11000.00"),
    ]


def test_vintage_selector_keeps_money_decimal(book):
    df = selectors.vintage(filters=RANGE)
    assert df["principal"].dtype == object
    assert all(isinstance(v, Decimal) for v in df["principal"])


def test_collection_efficiency_by_period_branch_and_agent(book):
    by_period = rows(Report.COLLECTION_EFFICIENCY, "by_period", period="month")
    assert [(r["period_start"], r["amount_due"], r["amount_collected"], r["efficiency"]) for r in by_period] == [
        ("2026-02-01", "3100.00", "600.00", 0.1935), ("2026-03-01", "4200.00", "1100.00", 0.2619), ("2026-04-01", "4200.00", "4300.00", 1.0238),
    ]
    feb_branch = {r["branch"]: r for r in rows(Report.COLLECTION_EFFICIENCY, "by_branch", period="month") if r["period_start"] == "2026-02-01"}
    assert (feb_branch["Kampala"]["amount_due"], feb_branch["Kampala"]["amount_collected"], feb_branch["Kampala"]["efficiency"]) == ("2100.00", "400.00", 0.1905)
    assert (feb_branch["Gulu"]["amount_due"], feb_branch["Gulu"]["amount_collected"], feb_branch["Gulu"]["efficiency"]) == ("1000.00", "200.00", 0.2)
    feb_agent = {r["agent"]: r for r in rows(Report.COLLECTION_EFFICIENCY, "by_agent", period="month") if r["period_start"] == "2026-02-01"}
    assert (feb_agent["alice"]["amount_due"], feb_agent["alice"]["amount_collected"], feb_agent["alice"]["efficiency"]) == ("1300.00", "400.00", 0.3077)
    assert (feb_agent["bob"]["amount_due"], feb_agent["bob"]["amount_collected"], feb_agent["bob"]["efficiency"]) == ("1200.00", "200.00", 0.1667)
    assert (feb_agent["(unassigned)"]["amount_due"], feb_agent["(unassigned)"]["efficiency"]) == ("600.00", 0.0)
    # A quarter: Q1's opening is before any snapshot (no row); Q2 opens on 31 March.
    quarters = rows(Report.COLLECTION_EFFICIENCY, "by_period", period="quarter")
    assert [(r["period_start"], r["amount_due"], r["amount_collected"]) for r in quarters] == [("2026-04-01", "4200.00", "4300.00")]


def test_promises(book):
    assert rows(Report.PROMISES, "summary") == [{
        "made": 6, "kept": 2, "broken": 2, "pending": 1, "cancelled": 1, "kept_rate": 0.5,
        "amount_promised": "1850.00", "amount_paid": "500.00", "paid_rate": 0.2703,
    }]
    by_agent = {r["agent"]: r for r in rows(Report.PROMISES, "by_agent")}
    assert by_agent["alice"] == {"agent": "alice", "made": 3, "kept": 1, "broken": 1, "pending": 1, "cancelled": 0, "kept_rate": 0.5,
                                 "amount_promised": "900.00", "amount_paid": "200.00", "paid_rate": 0.2222}
    assert by_agent["bob"] == {"agent": "bob", "made": 3, "kept": 1, "broken": 1, "pending": 0, "cancelled": 1, "kept_rate": 0.5,
                               "amount_promised": "950.00", "amount_paid": "300.00", "paid_rate": 0.3158}
    gulu = rows(Report.PROMISES, "summary", ReportFilters(date_from=RANGE.date_from, date_to=RANGE.date_to, branch="Gulu"))[0]
    assert (gulu["made"], gulu["kept"], gulu["broken"], gulu["pending"], gulu["cancelled"], gulu["kept_rate"]) == (3, 1, 0, 1, 1, 1.0)


def test_agents(book):
    agents = {r["agent"]: r for r in rows(Report.AGENTS, "agents")}
    assert agents["alice"] == {
        "agent": "alice", "accounts_assigned": 4, "outstanding_assigned": "10000.00", "contacts": 4, "right_party_contacts": 3, "promises": 3,
        "amount_collected": "4800.00", "calls_placed": 2, "calls_completed": 1, "right_party_rate": 0.75,
    }
    assert agents["bob"] == {
        "agent": "bob", "accounts_assigned": 4, "outstanding_assigned": "13000.00", "contacts": 3, "right_party_contacts": 2, "promises": 3,
        "amount_collected": "1200.00", "calls_placed": 0, "calls_completed": 0, "right_party_rate": 0.6667,
    }


def test_statements(book):
    by_provider = rows(Report.STATEMENTS, "by_provider")
    assert by_provider == [
        {"provider": "UATL", "statements": 2, "flagged": 1, "scored": 2, "flagged_rate": 0.5, "average_risk_score": 45.0},
        {"provider": "UMTN", "statements": 2, "flagged": 1, "scored": 1, "flagged_rate": 0.5, "average_risk_score": 60.0},
    ]
    assert [(r["provider"], r["month"], r["statements"]) for r in rows(Report.STATEMENTS, "by_month")] == [("UATL", "2026-02-01", 2), ("UMTN", "2026-03-01", 2)]
    assert rows(Report.STATEMENTS, "reasons") == [
        {"provider": "UATL", "reason": "balance_break", "statements": 1}, {"provider": "UATL", "reason": "font_mismatch", "statements": 2},
        {"provider": "UMTN", "reason": "balance_break", "statements": 1},
    ]
    only_mtn = ReportFilters(date_from=RANGE.date_from, date_to=RANGE.date_to, provider="UMTN")
    assert [r["provider"] for r in rows(Report.STATEMENTS, "by_provider", only_mtn)] == ["UMTN"]


@pytest.mark.parametrize("report", Report.values)
def test_an_empty_portfolio_gives_empty_tables(db, report):
    params = {"months": 6} if report == Report.ROLL_RATES else {"period": "month"} if report == Report.COLLECTION_EFFICIENCY else {}
    result = reporting.as_json(reporting.build(report, RANGE, params))
    assert result["tables"]
    for table in result["tables"].values():
        assert table["rows"] == []
    assert reporting.as_xlsx(reporting.build(report, RANGE, params))[:2] == b"PK"
