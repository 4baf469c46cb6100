"""The /statements/ pages ops work in."""
import json
import re
from pathlib import Path

import pytest

from statements import views
from statements.choices import StatementStatus, TamperingLevel
from statements.services import statement_import_file
from statements.tests.factories import StatementFactory
from statements.tests.ops_factories import make_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_browser(client, ops_admin):
    client.force_login(ops_admin)
    return client


def test_statements_page_needs_login_and_permission(client, outsider):
    response = client.get("/statements/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(outsider)
    assert client.get("/statements/").status_code == 403


def test_list_shows_badges_and_a_provider_dropdown(ops_browser):
    make_statement(provider="UATL", status=StatementStatus.FLAGGED, tampering_level=TamperingLevel.FATAL, acc_number="706015809")
    make_statement(provider="UMTN", acc_number="771234567")
    html = ops_browser.get("/statements/").content.decode()
    assert '<select name="provider"' in html and 'value="UMTN"' in html and 'value="UATL"' in html
    assert 'class="badge bad"' in html and ">Flagged<" in html
    assert 'class="badge fatal"' in html and ">Fatal<" in html
    assert "706015809" in html and "771234567" in html
    assert "htmx" in html and 'hx-target="#statements-table"' in html


def test_provider_filter_through_htmx_returns_only_the_table(ops_browser):
    make_statement(provider="UATL", acc_number="706015809")
    make_statement(provider="UMTN", acc_number="771234567")
    response = ops_browser.get("/statements/", {"provider": "UMTN"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="statements-table")
    html = response.content.decode()
    assert "<html" not in html and "<table" in html
    assert "771234567" in html and "706015809" not in html
    assert "1 statement" in html


def test_list_is_paginated(ops_browser):
    for _ in range(55):
        make_statement(txns=0)
    first = ops_browser.get("/statements/", {"provider": "UATL"}).content.decode()
    assert "Page 1 of 2" in first and "provider=UATL&amp;page=2" in first
    second = ops_browser.get("/statements/", {"provider": "UATL", "page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert len(re.findall(r'href="/statements/\d+/"', second)) == 5


def test_detail_shows_transactions_and_balance_chart(ops_browser):
    statement = make_statement(txns=6, break_at=3, status=StatementStatus.FLAGGED, tampering_level=TamperingLevel.CRITICAL)
    html = ops_browser.get(f"/statements/{statement.pk}/").content.decode()
    assert statement.acc_number in html and "Critical" in html
    assert html.count("Payment ") >= 6  # every transaction listed
    chart = json.loads(re.search(r'<script id="balance-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert len(chart["labels"]) == 6
    assert chart["stated"][:3] == chart["calculated"][:3]
    assert chart["calculated"][3] == chart["stated"][3] - 500  # the break is on the chart
    assert 'id="balance-chart"' in html and "chart-4.6.1" in html


def test_large_statement_chart_is_sampled_but_keeps_the_breaks(monkeypatch):
    statement = make_statement(txns=40, break_at=37)
    assert len(views.balance_chart_points(statement.pk, 40)["labels"]) == 40
    monkeypatch.setattr(views, "CHART_MAX_POINTS", 10)
    sampled = views.balance_chart_points(statement.pk, 40)
    assert len(sampled["labels"]) <= 12
    # The row where calculated and stated part ways survives the sampling.
    assert any(s != c for s, c in zip(sampled["stated"], sampled["calculated"], strict=True))


def test_blank_filters_from_the_page_form_mean_any(client, ops_admin):
    """The page's filter form submits every field; blanks must not empty the list."""
    StatementFactory(acc_prvdr_code="UMTN", status="VERIFIED")
    StatementFactory(acc_prvdr_code="UATL", status="FLAGGED")
    client.force_login(ops_admin)
    response = client.get("/statements/", {"provider": "UMTN", "status": "", "verification_status": "", "tampering_level": "",
                                           "acc_number": "", "rm": "", "cust_id": ""})
    assert response.status_code == 200
    assert "is not one of the available choices" not in response.content.decode()
    assert response.context["page"].paginator.count == 1


def test_detail_page_shows_the_transaction_span_when_the_file_states_no_period(client, ops_admin, settings):
    """MTN exports carry no statement period: the page shows the first and last transaction dates instead of '? – ?'."""
    sample = Path(settings.BASE_DIR) / "fixtures" / "statements" / "samples" / "mtn_export.xlsx"
    statement = statement_import_file(path=sample, file_name=sample.name, acc_number="772123456").statement
    client.force_login(ops_admin)
    html = client.get(f"/statements/{statement.pk}/").content.decode()
    assert "? – ?" not in html
    assert "(first and last transaction)" in html
