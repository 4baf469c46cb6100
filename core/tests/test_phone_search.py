"""A phone number, however it is typed, finds the same customer at every
search door: admin search boxes (customers, debts, payments, promises,
contact logs), the admin's autocomplete pickers and the API's ``search=``."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from calls.tests.factories import CallSessionFactory
from core.phones import phone_search_condition, phone_search_values
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay
from debts.tests.factories import CommunicationLogFactory, DebtFactory, PaymentFactory
from uploads.tests.factories import UploadRowFactory

SHAPES = ["0772 123 456", "0772123456", "772123456", "+256 772 123456", "256772123456", "0772-123-456", "123456", "2123456"]


@pytest.mark.parametrize("text", SHAPES[:6])
def test_every_full_shape_normalises_to_the_one_stored_number(text):
    assert "+256772123456" in phone_search_values(text)


def test_a_tail_expands_to_the_numbers_of_the_region_ending_in_it():
    values = phone_search_values("123456")
    assert len(values) == 1000 and "+256772123456" in values and all(v.endswith("123456") for v in values)
    assert len(phone_search_values("23456")) == 0  # fewer than 6 digits: not a phone


@pytest.mark.parametrize("text", ["", "Sarah", "LN-0001", "12345", "0772 12a 456", "+256 7721234567890"])
def test_text_that_is_not_a_phone_gives_no_values(text):
    assert phone_search_values(text) == []


@pytest.fixture
def sarah(db):
    customer = CustomerFactory(full_name="Sarah Nakato", primary_phone="+256772123456")
    other = CustomerFactory(full_name="Sarah Other", primary_phone="+256701999888")
    debt = DebtFactory(customer=customer, loan_id="LN-SARAH")
    DebtFactory(customer=other, loan_id="LN-OTHER")
    PaymentFactory(debt=debt)
    CommunicationLogFactory(customer=customer, debt=debt)
    PromiseToPay.objects.create(customer=customer, debt=debt, amount=Decimal("10.00"), promised_date=timezone.localdate() + timedelta(days=3))
    return customer


@pytest.mark.parametrize("text", SHAPES)
def test_the_condition_finds_the_customer_and_their_rows(sarah, text):
    assert list(Customer.objects.filter(phone_search_condition(Customer, text, "primary_phone", "secondary_phone"))) == [sarah]
    paths = ("customer__primary_phone", "customer__secondary_phone")
    for model in (Debt, Payment, CommunicationLog, PromiseToPay):
        rows = model.objects.filter(phone_search_condition(model, text, *paths))
        assert rows.exists() and all(r.customer_id == sarah.pk for r in rows), model


def test_the_secondary_phone_is_found_too(db):
    customer = CustomerFactory(primary_phone="+256701000001", secondary_phone="+256772123456")
    assert list(Customer.objects.filter(phone_search_condition(Customer, "0772 123 456", "primary_phone", "secondary_phone"))) == [customer]


ADMIN_LISTS = [
    ("/admin/customers/customer/", "Sarah Nakato"),
    ("/admin/debts/debt/", "LN-SARAH"),
    ("/admin/debts/payment/", "LN-SARAH"),
    ("/admin/debts/communicationlog/", "Sarah Nakato"),
    ("/admin/debts/promisetopay/", "Sarah Nakato"),
]


@pytest.mark.parametrize("url,expected", ADMIN_LISTS)
@pytest.mark.parametrize("text", ["0772 123 456", "+256 772 123456", "123456"])
def test_admin_search_boxes(client, ops_admin, sarah, url, expected, text):
    client.force_login(ops_admin)
    page = client.get(url, {"q": text})
    assert page.status_code == 200
    body = page.content.decode()
    assert expected in body and "Sarah Other" not in body and "LN-OTHER" not in body


def test_admin_autocomplete_picker_finds_by_local_phone(client, agent, sarah):
    # The debt picker on the payment form asks the customer admin's search.
    client.force_login(agent)
    answer = client.get("/admin/autocomplete/", {"term": "0772123456", "app_label": "debts", "model_name": "debt", "field_name": "customer"})
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json()["results"]] == [str(sarah.pk)]


API_LISTS = ["/api/v1/customers/", "/api/v1/debts/", "/api/v1/payments/", "/api/v1/communication-logs/", "/api/v1/promises/"]


@pytest.mark.parametrize("url", API_LISTS)
@pytest.mark.parametrize("text", ["0772 123 456", "256772123456", "123456"])
def test_api_search(agent_client, sarah, url, text):
    answer = agent_client.get(url, {"search": text})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert results, url
    customer_ids = {r.get("customer", r.get("id")) for r in results}
    assert customer_ids == {sarah.pk}


def test_api_word_search_still_works(agent_client, sarah):
    answer = agent_client.get("/api/v1/customers/", {"search": "Sarah"})
    assert {r["full_name"] for r in answer.json()["results"]} == {"Sarah Nakato", "Sarah Other"}


def test_call_and_upload_line_admin_search_by_local_phone(client, ops_admin, sarah):
    CallSessionFactory(customer=sarah, call_sid="CALL-SARAH")
    UploadRowFactory(phone_normalized="+256772123456", row_fingerprint="f" * 64)
    client.force_login(ops_admin)
    assert "CALL-SARAH" in client.get("/admin/calls/callsession/", {"q": "0772 123 456"}).content.decode()
    page = client.get("/admin/uploads/uploadrow/", {"q": "0772123456"}).content.decode()
    assert "1 result" in page or "+256772123456" in page


def test_a_phone_search_is_exact_not_a_word_search(agent_client, sarah):
    # The word search would find this loan: it holds "0772", "123" and "456".
    DebtFactory(loan_id="X0772-123-456")
    numeric = DebtFactory(loan_id="98765432")
    found = {r["loan_id"] for r in agent_client.get("/api/v1/debts/", {"search": "0772 123 456"}).json()["results"]}
    assert found == {"LN-SARAH"}
    # A number-like loan id typed in full is still found (exact, indexed).
    found = {r["id"] for r in agent_client.get("/api/v1/debts/", {"search": "98765432"}).json()["results"]}
    assert numeric.pk in found
