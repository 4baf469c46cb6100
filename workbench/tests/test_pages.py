"""The workbench pages: /queue/ and /customers/<id>/, their actions through
the services, refusals that keep the form, roles, and bounded queries."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import CallSession
from customers.tests.factories import CustomerFactory
from debts.choices import PaymentStatus
from debts.models import CommunicationLog, Debt, Disposition, Payment, PromiseToPay
from debts.tests.factories import DebtFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_hours(settings):
    settings.CALLING_HOURS = "00:00-24:00"
    settings.TELEPHONY_PROVIDER = "simulator"


@pytest.fixture
def sarah(agent):
    customer = CustomerFactory(full_name="Nakato Sarah", primary_phone="+256772123456", national_id="CM9000000XYZ12")
    debt = DebtFactory(
        customer=customer, loan_id="LN-SARAH-1", original_amount=Decimal("1250000.00"), current_balance=Decimal("1250000.00"),
        days_past_due=12, assigned_to=agent, branch="Gulu",
    )
    return customer, debt


def _disposition() -> Disposition:
    return Disposition.objects.filter(active=True, needs_next_action=False).order_by("sort_order").first()


def test_queue_lists_my_accounts_with_money_and_actions(client, agent, sarah):
    customer, debt = sarah
    other = DebtFactory(loan_id="LN-NOT-MINE", days_past_due=40)
    client.force_login(agent)
    response = client.get("/queue/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nakato Sarah" in html and "LN-NOT-MINE" not in html and other.customer.full_name not in html
    assert "1,250,000" in html and f'href="/customers/{customer.pk}/"' in html
    assert "Call now" in html and "Log contact" in html and "Take promise" in html


def test_queue_query_count_does_not_grow_with_rows(client, agent, sarah):
    client.force_login(agent)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/queue/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(12):
        DebtFactory(loan_id=f"LN-Q-{i}", days_past_due=i, assigned_to=agent)
    assert count() == small


def test_queue_team_scope_falls_back_to_mine_without_the_assign_permission(client, agent, sarah):
    DebtFactory(loan_id="LN-SOMEONE-ELSE", assigned_to=None)
    client.force_login(agent)
    html = client.get("/queue/?scope=all").content.decode()
    assert "LN-SOMEONE-ELSE" not in html and "Nakato Sarah" in html


def test_queue_sorts_by_every_column(client, ops_admin, sarah):
    client.force_login(ops_admin)
    for key in ("customer", "days_past_due", "amount_overdue", "current_balance", "promise_today", "last_contact_at",
                "callable_now", "status", "due_date", "branch", "employee"):
        for sort in (key, f"-{key}"):
            response = client.get(f"/queue/?scope=all&sort={sort}")
            assert response.status_code == 200 and "Nakato Sarah" in response.content.decode(), sort


def test_queue_status_poll_returns_only_out_of_band_cells(client, agent, sarah):
    client.force_login(agent)
    html = client.get("/queue/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-status").content.decode()
    assert 'hx-swap-oob="true"' in html and "<table" not in html and "ready" in html


def test_customer_page_shows_identity_masked_debts_and_timeline(client, agent, sarah):
    customer, debt = sarah
    client.force_login(agent)
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Nakato Sarah" in html and "CM9000000XYZ12" not in html and "••••YZ12" in html
    assert "UGX 1,250,000" in html and "LN-SARAH-1" in html
    for label in ("Record payment", "Log contact", "Take promise", "Call now"):
        assert label in html


def test_reader_sees_the_page_without_action_buttons_and_cannot_post(client, reader, sarah):
    customer, debt = sarah
    client.force_login(reader)
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Nakato Sarah" in html and "Record payment" not in html and "Call now" not in html
    for action in ("contact", "promise", "payment", "call"):
        assert client.post(f"/customers/{customer.pk}/{action}/", {"debt": debt.pk}).status_code == 403


def test_outsider_cannot_open_the_pages(client, outsider, sarah):
    customer, _debt = sarah
    client.force_login(outsider)
    assert client.get(f"/customers/{customer.pk}/").status_code == 403
    assert client.get("/queue/").status_code == 403


def test_log_a_contact_with_a_disposition_and_next_date(client, agent, sarah):
    customer, debt = sarah
    disposition = _disposition()
    next_day = timezone.localdate() + timedelta(days=3)
    client.force_login(agent)
    response = client.post(f"/customers/{customer.pk}/contact/", {
        "debt": debt.pk, "disposition": disposition.code, "next_action_date": next_day.isoformat(),
        "communication_type": "CALL", "direction": "outbound", "notes": "Will pay Friday",
    }, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Contact logged" in response.content.decode()
    assert response["HX-Trigger"] == "workbench-changed"
    log = CommunicationLog.objects.get(customer=customer)
    assert (log.disposition, log.next_action_date, log.agent_user, log.notes) == (disposition, next_day, agent, "Will pay Friday")


def test_a_refused_promise_keeps_the_typed_values_and_says_why(client, agent, sarah):
    customer, debt = sarah
    client.force_login(agent)
    past = (timezone.localdate() - timedelta(days=5)).isoformat()
    response = client.post(f"/customers/{customer.pk}/promise/", {
        "debt": debt.pk, "amount": "300000", "promised_date": past, "notes": "typed note kept",
    }, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert not PromiseToPay.objects.exists()
    assert 'value="300000"' in html and "typed note kept" in html and 'role="alert"' in html


def test_a_refused_overpayment_keeps_the_form_on_the_page(client, agent, sarah):
    customer, debt = sarah
    client.force_login(agent)
    response = client.post(f"/customers/{customer.pk}/payment/", {
        "debt": debt.pk, "amount": "9999999", "payment_method": "cash", "status": PaymentStatus.COMPLETED, "notes": "overpaid",
    })
    html = response.content.decode()
    assert response.status_code == 400 and not Payment.objects.exists()
    assert 'value="9999999"' in html and 'role="alert"' in html


def test_a_debt_of_another_customer_is_refused(client, agent, sarah):
    customer, _debt = sarah
    stranger = DebtFactory(loan_id="LN-STRANGER")
    client.force_login(agent)
    response = client.post(f"/customers/{customer.pk}/promise/", {
        "debt": stranger.pk, "amount": "1000", "promised_date": timezone.localdate().isoformat(),
    }, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in response.content.decode() and not PromiseToPay.objects.exists()


def test_take_a_promise_and_record_a_payment(client, agent, sarah):
    customer, debt = sarah
    client.force_login(agent)
    when = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(f"/customers/{customer.pk}/promise/", {"debt": debt.pk, "amount": "300000", "promised_date": when})
    assert response.status_code == 302
    assert PromiseToPay.objects.get().amount == Decimal("300000")
    client.post(f"/customers/{customer.pk}/payment/", {"debt": debt.pk, "amount": "250000", "payment_method": "cash",
                                                       "status": PaymentStatus.COMPLETED})
    assert Debt.objects.get(pk=debt.pk).current_balance == Decimal("1000000.00")
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "UGX 250,000" in html and "UGX 300,000" in html  # both in the timeline


def test_call_now_from_a_queue_row_says_when_it_will_be_placed(client, agent, sarah, settings):
    customer, debt = sarah
    settings.CALLING_HOURS = "00:00-00:01"  # closed now (unless it is that minute)
    client.force_login(agent)
    response = client.post(f"/customers/{customer.pk}/call/", {"_prefix": f"q{debt.pk}x", f"q{debt.pk}x-debt": debt.pk, "_compact": "1"},
                           HTTP_HX_REQUEST="true")
    session = CallSession.objects.get(customer=customer)
    assert session.debt_id == debt.pk
    assert "waits until" in response.content.decode()
    html = client.get("/queue/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-status").content.decode()
    assert "waiting" in html and "until" in html


def test_the_admin_change_pages_link_to_the_customer_page(client, ops_admin, sarah):
    customer, debt = sarah
    client.force_login(ops_admin)
    for url in (f"/admin/customers/customer/{customer.pk}/change/", f"/admin/debts/debt/{debt.pk}/change/"):
        assert f'href="/customers/{customer.pk}/"' in client.get(url).content.decode(), url


def test_the_dashboard_links_each_row_to_the_customer_page(client, agent, sarah):
    customer, _debt = sarah
    client.force_login(agent)
    assert f'href="/customers/{customer.pk}/"' in client.get("/dashboard/?search=0772+123+456").content.decode()


def test_a_queue_row_fetches_its_form_when_opened(client, agent, reader, sarah):
    customer, debt = sarah
    client.force_login(agent)
    html = client.get(f"/customers/{customer.pk}/contact/", {"_prefix": f"q{debt.pk}c", "debt": debt.pk}).content.decode()
    assert f'name="q{debt.pk}c-debt"' in html and 'type="hidden"' in html and f'name="q{debt.pk}c-disposition"' in html
    assert 'name="_prefix"' in html
    client.force_login(reader)
    assert client.get(f"/customers/{customer.pk}/contact/", {"_prefix": "q1c", "debt": debt.pk}).status_code == 403


def test_a_promise_posted_from_a_queue_row_lands_on_the_rows_debt(client, agent, sarah):
    customer, debt = sarah
    client.force_login(agent)
    prefix = f"q{debt.pk}p"
    form = client.get(f"/customers/{customer.pk}/promise/", {"_prefix": prefix, "debt": debt.pk}).content.decode()
    assert f'name="{prefix}-debt" value="{debt.pk}"' in form
    when = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(f"/customers/{customer.pk}/promise/", {
        "_prefix": prefix, f"{prefix}-debt": debt.pk, f"{prefix}-amount": "50000", f"{prefix}-promised_date": when,
    }, HTTP_HX_REQUEST="true")
    assert "Promise taken" in response.content.decode()
    assert PromiseToPay.objects.get().debt_id == debt.pk
