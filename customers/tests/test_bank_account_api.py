"""Bank accounts: at most one primary per customer, account numbers unique, masked."""
from __future__ import annotations

import pytest

from customers import services
from customers.models import BankAccount
from debts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/bank-accounts/"


def test_create_masks_the_numbers_and_encrypts_them(ops_client):
    customer = CustomerFactory()
    response = ops_client.post(API, {
        "customer": customer.pk, "account_type": "checking", "account_number": "0012-3456-7890", "routing_number": "021000021",
        "bank_name": "Stanbic", "is_primary": True,
    }, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["account_number"] == "••••7890" and response.json()["routing_number"] == "••••0021"
    account = BankAccount.objects.get()
    assert account.account_number == "001234567890" and account.account_number_last4 == "7890"


def test_making_another_account_primary_demotes_the_first():
    customer = CustomerFactory()
    first = services.bank_account_create(customer_id=customer.pk, account_type="savings", account_number="11112222", is_primary=True)
    second = services.bank_account_create(customer_id=customer.pk, account_type="checking", account_number="33334444", is_primary=True)
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    assert BankAccount.objects.filter(customer=customer, is_primary=True).count() == 1


def test_the_same_account_number_twice_is_refused_even_written_differently(ops_client):
    a, b = CustomerFactory(), CustomerFactory()
    services.bank_account_create(customer_id=a.pk, account_type="savings", account_number="1234 5678 90")
    response = ops_client.post(API, {"customer": b.pk, "account_type": "savings", "account_number": "1234-5678-90"}, format="json")
    assert response.status_code == 400
    assert response.json()["account_number"] == ["This account number is already registered."]


def test_a_malformed_account_number_is_refused(ops_client):
    response = ops_client.post(API, {"customer": CustomerFactory().pk, "account_type": "savings", "account_number": "12"}, format="json")
    assert response.status_code == 400 and "4 to 34" in response.json()["account_number"][0]


def test_lookup_by_account_number(ops_client):
    customer = CustomerFactory()
    services.bank_account_create(customer_id=customer.pk, account_type="savings", account_number="99990000")
    assert ops_client.post(f"{API}lookup/", {"account_number": "9999-0000"}, format="json").json()["count"] == 1
    assert ops_client.get(API, {"account_number": "9999-0000"}).status_code == 400


def test_agent_reads_but_cannot_add_bank_accounts(agent_client):
    assert agent_client.get(API).status_code == 200
    response = agent_client.post(API, {"customer": CustomerFactory().pk, "account_type": "savings", "account_number": "55556666"}, format="json")
    assert response.status_code == 403
