"""The ops dashboard: the API list, the page, filters, and bounded queries."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.tests.factories import CallSessionFactory, CustomerFactory, DebtFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboard/customers/"


@pytest.fixture
def book():
    now = timezone.now()
    ready = CustomerFactory(full_name="Ready Rita", first_uploaded_at=now)
    DebtFactory(customer=ready, original_amount=Decimal("100.00"), current_balance=Decimal("60.00"), due_amount=Decimal("10.00"))
    DebtFactory(customer=ready, original_amount=Decimal("200.00"), current_balance=Decimal("140.00"), due_amount=Decimal("20.00"))
    calling = CustomerFactory(full_name="Calling Carl", first_uploaded_at=now - timedelta(days=1))
    CallSessionFactory(customer=calling, status="ringing", call_sid="r1")
    done = CustomerFactory(full_name="Done Dora", first_uploaded_at=now - timedelta(days=3))
    CallSessionFactory(customer=done, status="no-answer", call_sid="d0")
    CallSessionFactory(customer=done, status="completed", call_sid="d1")  # the latest one counts
    failed = CustomerFactory(full_name="Busy Ben", first_uploaded_at=now - timedelta(days=30))
    CallSessionFactory(customer=failed, status="busy", call_sid="b1")
    return {"ready": ready, "calling": calling, "completed": done, "failed": failed}


def names(response):
    return sorted(row["full_name"] for row in response.json()["results"])


def test_list_has_loan_totals_latest_call_and_upload_date(reader_client, book):
    rows = {row["full_name"]: row for row in reader_client.get(URL).json()["results"]}
    rita = rows["Ready Rita"]
    assert (rita["loan_count"], rita["total_principal"], rita["total_outstanding"], rita["total_due"]) == (2, "300.00", "200.00", "30.00")
    assert rita["call_state"] == "ready" and rita["latest_call_status"] is None
    assert rita["first_uploaded_at"] and len(rita["loans"]) == 2 and rita["loans"][0]["branch"] == "Kampala Main"
    assert rows["Done Dora"]["call_state"] == "completed" and rows["Done Dora"]["latest_call_status"] == "completed"
    assert rows["Busy Ben"]["call_state"] == "failed" and rows["Calling Carl"]["call_state"] == "calling"


@pytest.mark.parametrize(
    "query,expected",
    [
        ("status=ready", ["Ready Rita"]),
        ("status=calling", ["Calling Carl"]),
        ("status=completed", ["Done Dora"]),
        ("status=failed", ["Busy Ben"]),
        ("period=today", ["Ready Rita"]),
        ("period=yesterday", ["Calling Carl"]),
        ("period=week", ["Calling Carl", "Done Dora", "Ready Rita"]),
        ("period=week&status=completed", ["Done Dora"]),
        ("search=dora", ["Done Dora"]),
    ],
)
def test_filters(reader_client, book, query, expected):
    assert names(reader_client.get(f"{URL}?{query}")) == expected


def test_bad_filter_value_is_a_400(reader_client):
    assert reader_client.get(f"{URL}?status=happy").status_code == 400


def test_list_query_count_does_not_grow_with_rows(reader_client, book):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert reader_client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for _ in range(15):
        customer = CustomerFactory()
        DebtFactory(customer=customer)
        DebtFactory(customer=customer)
        CallSessionFactory(customer=customer, status="completed", call_sid=None)
    assert count() == small
    assert small <= 7  # auth + count + page + loans prefetch


def test_outsider_cannot_read_the_dashboard(outsider_client, api_client):
    assert outsider_client.get(URL).status_code == 403
    assert api_client.get(URL).status_code == 401


def test_page_needs_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_page_shows_badges_table_and_charts(client, agent, book):
    debt = DebtFactory(customer=book["completed"], branch="Gulu", employee_name="Okello")
    CallSessionFactory(customer=book["completed"], debt=debt, status="completed", call_sid="g1")
    client.force_login(agent)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/dashboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge ok"' in html and '<span class="badge info"' in html and '<span class="badge bad"' in html
    assert "Ready Rita" in html and "Kampala Main" in html and "Call now" in html
    assert 'id="call-charts"' in html and "chart-4.6.1.umd.min.js" in html
    assert '"label": "Gulu"' in html  # a branch in the success-rate chart
    assert len(ctx.captured_queries) <= 14


def test_htmx_filter_returns_only_the_table(client, reader, book):
    client.force_login(reader)
    response = client.get("/dashboard/?status=failed", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="loan-book")
    html = response.content.decode()
    assert "<h1>" not in html and "Busy Ben" in html and "Ready Rita" not in html
    assert "Call now" not in html  # a read-only user gets no call button


def test_call_now_button_schedules_a_call(client, agent, book, django_capture_on_commit_callbacks):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/dashboard/customers/{book['ready'].pk}/call/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "scheduled" in response.content.decode()
    assert book["ready"].call_sessions.get().triggered_by == agent


def test_reader_cannot_call_from_the_page(client, reader, book):
    client.force_login(reader)
    assert client.post(f"/dashboard/customers/{book['ready'].pk}/call/").status_code == 403


def test_chart_api_counts_outcomes_and_success_by_branch(reader_client):
    for status in ("completed", "completed", "busy"):
        debt = DebtFactory(branch="Mbarara", employee_name="Aine")
        CallSessionFactory(customer=debt.customer, debt=debt, status=status, call_sid=None)
    body = reader_client.get("/api/v1/dashboard/call-charts/?days=7").json()
    assert len(body["labels"]) == 7
    outcomes = {s["status"]: sum(s["data"]) for s in body["outcomes"]}
    assert outcomes["completed"] == 2 and outcomes["busy"] == 1
    [mbarara] = [s for s in body["by_branch"] if s["label"] == "Mbarara"]
    assert mbarara["calls"] == 3 and mbarara["success_rate"] == 66.7
    assert body["by_employee"][0]["label"] == "Aine"
