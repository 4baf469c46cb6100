"""How the collections admin reads to a person: money in UGX, pickers that
tell two Sarahs apart and follow the form's customer or debt, a refused
payment that keeps what was typed, an index grouped by area, constant
queries on the lists whose rows name a debt."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from debts.models import CommunicationLog, Payment
from debts.tests.factories import DebtFactory, PaymentFactory

pytestmark = pytest.mark.django_db
AUTOCOMPLETE = "/admin/autocomplete/"


def _sarahs():
    one = CustomerFactory(full_name="Sarah Nakato", primary_phone="+256772123456")
    two = CustomerFactory(full_name="Sarah Nakato", primary_phone="+256701999888")
    return (
        DebtFactory(customer=one, loan_id="LN-S1", original_amount=Decimal("1250000.00")),
        DebtFactory(customer=two, loan_id="LN-S2", original_amount=Decimal("1100000.50")),
    )


def test_a_debt_reads_as_loan_customer_phone_tail_and_balance():
    first, second = _sarahs()
    assert str(first) == "LN-S1 · Sarah Nakato ··456 · UGX 1,250,000"
    assert str(second) == "LN-S2 · Sarah Nakato ··888 · UGX 1,100,000.50"


def test_the_debt_picker_labels_the_customer_and_follows_the_contact_forms_customer(client, agent):
    first, second = _sarahs()
    client.force_login(agent)
    params = {"app_label": "debts", "model_name": "communicationlog", "field_name": "debt", "term": "LN-S"}
    every = client.get(AUTOCOMPLETE, params).json()["results"]
    assert {r["text"] for r in every} == {str(first), str(second)}
    mine = client.get(AUTOCOMPLETE, {**params, "customer": first.customer_id}).json()["results"]
    assert [r["id"] for r in mine] == [str(first.pk)]


def test_the_debt_picker_answers_in_constant_queries(client, agent):
    for i in range(3):
        DebtFactory(loan_id=f"LN-Q{i}")
    client.force_login(agent)
    params = {"app_label": "debts", "model_name": "payment", "field_name": "debt", "term": "LN-Q"}

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(AUTOCOMPLETE, params).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(3, 12):
        DebtFactory(loan_id=f"LN-Q{i}")
    assert count() == few


def test_the_promise_form_picks_a_contact_by_a_readable_label_of_the_debts_customer(client, agent):
    first, second = _sarahs()
    when = timezone.now()
    mine = CommunicationLog.objects.create(customer=first.customer, communication_type="CALL", direction="outbound", timestamp=when)
    CommunicationLog.objects.create(customer=second.customer, communication_type="CALL", direction="outbound", timestamp=when)
    client.force_login(agent)
    html = client.get(reverse("admin:debts_promisetopay_add")).content.decode()
    assert 'name="communication_log"' in html and "admin-autocomplete" in html and "dependent_pickers.js" in html
    params = {"app_label": "debts", "model_name": "promisetopay", "field_name": "communication_log", "term": "", "debt": first.pk}
    results = client.get(AUTOCOMPLETE, params).json()["results"]
    assert [r["id"] for r in results] == [str(mine.pk)]
    assert results[0]["text"] == f"{timezone.localtime(when):%Y-%m-%d %H:%M} · Sarah Nakato · Phone call outbound"


def test_a_refused_overpayment_keeps_the_payment_form_and_says_why(client, agent):
    debt = DebtFactory(original_amount=Decimal("100000.00"))
    client.force_login(agent)
    today = timezone.localdate()
    response = client.post(reverse("admin:debts_payment_add"), {
        "debt": debt.pk, "amount": "250000", "payment_date_0": f"{today:%Y-%m-%d}", "payment_date_1": "10:00:00",
        "payment_method": "cash", "transaction_id": "MM-TYPED-1", "status": "COMPLETED", "notes": "typed note",
    })
    html = response.content.decode()
    assert response.status_code == 200 and not Payment.objects.exists()
    assert "Not saved" in html and 'class="errorlist' in html
    assert 'value="250000"' in html and 'value="MM-TYPED-1"' in html and "typed note" in html


def test_money_columns_read_as_ugx_with_separators(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("1250000.00"))
    PaymentFactory(debt=debt, amount=Decimal("1100000.50"))
    client.force_login(ops_admin)
    debts = client.get(reverse("admin:debts_debt_changelist")).content.decode()
    assert "UGX 1,250,000" in debts and "1250000.00" not in debts
    payments = client.get(reverse("admin:debts_payment_changelist")).content.decode()
    assert "UGX 1,100,000.50" in payments and "1100000.50" not in payments


def test_the_payment_list_names_each_debts_customer_in_constant_queries(client, ops_admin):
    client.force_login(ops_admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("admin:debts_payment_changelist")).status_code == 200
        return len(ctx.captured_queries)

    PaymentFactory()
    few = count()
    for _ in range(8):
        PaymentFactory()
    assert count() == few


def test_the_admin_index_is_grouped_by_area_with_the_ops_pages_in_the_header(client, ops_admin):
    client.force_login(ops_admin)
    html = client.get("/admin/").content.decode()
    areas = ["Customers &amp; debts", "Statements", "Calls", "Uploads", "Settings, users, tokens &amp; periodic tasks"]
    positions = [html.index(f'<h2 class="admin-area" style="margin:18px 0 8px">{area}</h2>') for area in areas]
    assert positions == sorted(positions)
    # Periodic tasks and tokens sit in the last area, after the collections.
    assert html.index("Periodic tasks") > positions[-1] and html.index("Collections") < positions[1]
    for link in ('href="/queue/"', 'href="/dashboard/"', 'href="/statements/"'):
        assert link in html


def test_the_debt_page_shows_its_payments_and_promises_in_ugx(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("2000000.00"))
    PaymentFactory(debt=debt, amount=Decimal("1250000.00"))
    client.force_login(ops_admin)
    html = client.get(reverse("admin:debts_debt_change", args=[debt.pk])).content.decode()
    assert "UGX 1,250,000" in html and "1250000.00" not in html
    assert "UGX 2,000,000" in html and "2000000.00" not in html  # the debt's own amounts too


def test_a_recorded_payment_reads_its_amount_in_ugx(client, ops_admin):
    payment = PaymentFactory(amount=Decimal("1100000.50"))
    client.force_login(ops_admin)
    html = client.get(reverse("admin:debts_payment_change", args=[payment.pk])).content.decode()
    assert "UGX 1,100,000.50" in html and "1100000.50" not in html
