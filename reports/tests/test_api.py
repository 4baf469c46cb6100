"""Every door of the reports checks ``reports.view_reports`` (ops admin and
risk analyst hold it); the API answers JSON or, with ?format=xlsx, a workbook."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import roles
from debts.models import Debt
from debts.tests.factories import DebtFactory
from reports.choices import Report
from reports.services import portfolio_snapshot_take
from reports.tests import scenario

ROUTES = {r: f"/api/v1/reports/{r}/" for r in Report.values}
QUERY = "?date_from=2026-02-01&date_to=2026-04-30"


@pytest.fixture
def lead(db, django_user_model):
    user = django_user_model.objects.create_user(username="lead", password="pw-lead")
    roles.sync_roles()
    user.groups.add(Group.objects.get(name=roles.TEAM_LEAD))
    return user


@pytest.fixture
def lead_client(lead):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=lead).key}")
    return client


@pytest.mark.parametrize("report", Report.values)
@pytest.mark.parametrize("client_name, status", [
    ("ops_client", 200), ("analyst_client", 200), ("agent_client", 403), ("lead_client", 403), ("reader_client", 403),
    ("outsider_client", 403), ("api_client", 401),
])
def test_each_role_at_the_api(db, request, report, client_name, status):
    # db in the signature: the fixtures come by name at run time, and run alone
    # (-k, one worker's share) nothing else would set up the test database.
    client = request.getfixturevalue(client_name)
    assert client.get(ROUTES[report] + QUERY).status_code == status
    assert client.get(ROUTES[report] + QUERY + "&format=xlsx").status_code == status


@pytest.mark.parametrize("user_name, status", [
    ("ops_admin", 200), ("analyst", 200), ("agent", 403), ("lead", 403), ("reader", 403), ("outsider", 403),
])
def test_each_role_at_the_page(db, client, request, user_name, status):
    client.force_login(request.getfixturevalue(user_name))
    response = client.get("/reports/")
    assert response.status_code == status
    if status == 200:
        assert b"/api/v1/reports/roll-rates/?" in response.content and b"format=xlsx" in response.content


def test_the_page_needs_a_login(client, db):
    response = client.get("/reports/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_json_of_a_report(ops_client):
    scenario.build()
    body = ops_client.get(ROUTES["roll-rates"] + QUERY + "&months=2").json()
    assert body["report"] == "roll-rates" and body["params"] == {"months": 2}
    assert body["filters"] == {"date_from": "2026-02-01", "date_to": "2026-04-30", "branch": "", "employee": "", "provider": ""}
    assert body["meta"] == {"months": ["2026-03-31", "2026-04-30"]}
    assert {c["name"]: c["kind"] for c in body["tables"]["rates_by_month"]["columns"]}["cure_rate"] == "rate"


@pytest.mark.parametrize("query, field", [
    ("?date_from=yesterday", "date_from"), ("?date_from=2026-05-01&date_to=2026-04-01", "date_from"),
    ("?date_from=2000-01-01&date_to=2026-01-01", "date_to"), ("?branch=" + "x" * 201, "branch"), ("?provider=NOPE", "provider"),
])
def test_bad_filters_are_a_400_naming_the_field(ops_client, query, field):
    response = ops_client.get(ROUTES["aging"] + query)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("report", Report.values)
@pytest.mark.parametrize("query, field", [
    ("?date_from=9999-12-01&date_to=9999-12-31", "date_from"), ("?date_from=0001-01-01&date_to=0001-03-31", "date_from"),
    ("?date_to=0001-06-01", "date_to"),
])
def test_dates_at_the_ends_of_the_calendar_are_a_400_not_a_500(ops_client, report, query, field):
    """Each report steps past date_to (a day, a period) and turns days into
    local datetimes: near year 1 or 9999 that overflowed into a traceback."""
    DebtFactory(branch="Kampala")
    portfolio_snapshot_take(as_of=date(2026, 1, 1))
    for fmt in ("", "&format=xlsx"):
        response = ops_client.get(ROUTES[report] + query + fmt)
        assert response.status_code == 400, (fmt, response.status_code)
        # The refusal is JSON, with ?format=xlsx too (under the workbook's content type).
        assert "1900-01-01 to 2999-12-31" in json.loads(response.content)[field][0]


@pytest.mark.parametrize("route, query, field", [
    ("roll-rates", "?months=0", "months"), ("roll-rates", "?months=abc", "months"), ("collection-efficiency", "?period=day", "period"),
])
def test_bad_report_parameters_are_a_400(ops_client, route, query, field):
    response = ops_client.get(ROUTES[route] + query)
    assert response.status_code == 400 and field in response.json()


def test_the_workbook_has_a_sheet_per_table_money_as_numbers_and_escaped_text(ops_client):
    scenario.build()
    Debt.objects.filter(loan_id="D1").update(branch="=HYPERLINK(\"http://evil\",\"x\")")
    portfolio_snapshot_take(as_of=date(2026, 4, 30))
    response = ops_client.get(ROUTES["aging"] + QUERY + "&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="aging-2026-02-01-2026-04-30.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Report", "summary", "by_branch", "by_employee"]
    summary = list(book["summary"].iter_rows(values_only=True))
    assert summary[0] == ("bucket", "debt_count", "outstanding", "share_of_count", "share_of_outstanding")
    assert summary[-1][:3] == ("Total", 10, 34000)
    assert book["summary"]["C2"].number_format == '#,##0.00 "UGX"' and book["summary"]["D2"].number_format == "0.00%"
    branches = [row[0] for row in book["by_branch"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in branches
    assert not any(str(b).startswith("=") for b in branches)


def test_the_older_aging_form_is_still_answered_with_its_own_permission(agent_client, reader_client, outsider_client):
    """``/reports/aging/?group_by=…`` (or ``cluster=``) is the collections
    aging report it always was: live debts, ``debts.view_debt``."""
    DebtFactory(branch="Kampala", days_past_due=12)
    body = agent_client.get(ROUTES["aging"] + "?group_by=branch").json()
    assert body["group_by"] == "branch" and body["totals"]["total_count"] == 1
    assert reader_client.get(ROUTES["aging"] + "?cluster=Central").status_code == 200
    assert outsider_client.get(ROUTES["aging"] + "?group_by=branch").status_code == 403
    assert agent_client.get(ROUTES["aging"]).status_code == 403
