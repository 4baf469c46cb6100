"""The dashboard as a collector's tool (issue 16): days past due and every
column sorts; branch, employee and my-accounts filters; a call that waits
for calling hours is "waiting", not "calling"; Call now says when the call
will be placed and carries the row's loan (so the charts know its branch and
employee); the count axis steps by 1; a phone typed the local way finds the row."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from calls import selectors
from calls.models import CallSession
from calls.tests.factories import CallSessionFactory, CustomerFactory, DebtFactory

pytestmark = pytest.mark.django_db


def _names(html: str, *names: str) -> list[str]:
    return sorted(names, key=html.index)


@pytest.fixture
def book(agent):
    gulu = DebtFactory(customer=CustomerFactory(full_name="Akello Grace", primary_phone="+256772123456"), branch="Gulu",
                       employee_name="Okello", employee_id="E1", days_past_due=45, current_balance=Decimal("900000.00"), assigned_to=agent)
    lira = DebtFactory(customer=CustomerFactory(full_name="Apio Ruth"), branch="Lira", employee_name="Apio", employee_id="E2",
                       days_past_due=5, current_balance=Decimal("1250000.00"))
    return gulu, lira


def test_dpd_column_and_sorting(client, agent, book):
    client.force_login(agent)
    html = client.get("/dashboard/?sort=-dpd").content.decode()
    assert _names(html, "Akello Grace", "Apio Ruth") == ["Akello Grace", "Apio Ruth"]
    assert ">45<" in html and "1,250,000" in html and "1250000.00" not in html
    html = client.get("/dashboard/?sort=dpd").content.decode()
    assert _names(html, "Akello Grace", "Apio Ruth") == ["Apio Ruth", "Akello Grace"]
    for key in selectors.DASHBOARD_SORTS:
        for sort in (key, f"-{key}"):
            assert client.get(f"/dashboard/?sort={sort}").status_code == 200, sort
    assert client.get("/dashboard/?sort=drop+table").status_code == 200  # unknown: the default order


@pytest.mark.parametrize("query,shown,hidden", [
    ("branch=Gulu", "Akello Grace", "Apio Ruth"),
    ("employee=E2", "Apio Ruth", "Akello Grace"),
    ("employee=Okello", "Akello Grace", "Apio Ruth"),
    ("mine=1", "Akello Grace", "Apio Ruth"),
    ("search=0772+123+456", "Akello Grace", "Apio Ruth"),
    ("search=0772123456", "Akello Grace", "Apio Ruth"),
    ("search=%2B256+772+123456", "Akello Grace", "Apio Ruth"),
])
def test_filters(client, agent, book, query, shown, hidden):
    client.force_login(agent)
    html = client.get(f"/dashboard/?{query}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="loan-book").content.decode()
    assert shown in html and hidden not in html


def test_a_call_waiting_for_calling_hours_is_waiting_not_calling(client, agent, book):
    gulu, lira = book
    now = timezone.now()
    CallSessionFactory(customer=gulu.customer, debt=gulu, status="scheduled", scheduled_for=now + timedelta(hours=5), call_sid=None)
    CallSessionFactory(customer=lira.customer, debt=lira, status="ringing", scheduled_for=now - timedelta(minutes=1), call_sid="r1")
    counts = selectors.dashboard_state_counts(now=now)
    assert (counts["waiting"], counts["calling"]) == (1, 1)
    client.force_login(agent)
    waiting = client.get("/dashboard/?status=waiting", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="loan-book").content.decode()
    assert "Akello Grace" in waiting and "Apio Ruth" not in waiting and "until" in waiting
    calling = client.get("/dashboard/?status=calling", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="loan-book").content.decode()
    assert "Apio Ruth" in calling and "Akello Grace" not in calling


def test_call_now_outside_calling_hours_says_when_and_carries_the_rows_loan(client, agent, book, settings):
    gulu, _lira = book
    settings.CALLING_HOURS = "00:00-00:01"  # closed (unless the test runs in that minute)
    client.force_login(agent)
    response = client.post(f"/dashboard/customers/{gulu.customer_id}/call/", {"debt": gulu.pk, "fragment": "row"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    session = CallSession.objects.get(customer=gulu.customer)
    assert session.debt_id == gulu.pk  # the charts group by the loan's branch and employee
    assert "waits until" in html and "00:00" in html
    assert f'id="customer-row-{gulu.customer_id}"' in html and ">waiting<" in html  # the badge moved at once


def test_call_now_inside_calling_hours_says_it_is_placing_it(client, agent, book, django_capture_on_commit_callbacks):
    gulu, _lira = book
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=False):
        html = client.post(f"/dashboard/customers/{gulu.customer_id}/call/", {"debt": gulu.pk, "fragment": "row"},
                           HTTP_HX_REQUEST="true").content.decode()
    assert "placing it now" in html and ">calling<" in html


def test_a_call_placed_from_the_dashboard_counts_under_its_loans_branch(client, agent, book):
    gulu, _lira = book
    client.force_login(agent)
    client.post(f"/dashboard/customers/{gulu.customer_id}/call/", {"debt": gulu.pk}, HTTP_HX_REQUEST="true")
    CallSession.objects.filter(customer=gulu.customer).update(status="completed")
    charts = selectors.call_charts(days=1)
    assert [s["label"] for s in charts["by_branch"]] == ["Gulu"] and [s["label"] for s in charts["by_employee"]] == ["Okello"]


def test_the_count_axis_steps_by_one_and_the_table_polls(client, ops_admin, book):
    client.force_login(ops_admin)
    html = client.get("/dashboard/").content.decode()
    assert "precision: 0" in html and 'hx-trigger="every 15s"' in html
