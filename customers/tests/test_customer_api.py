"""Customers over the API: validated, normalised, PII masked, writes through services."""
from __future__ import annotations

import pytest

from customers.models import Customer
from debts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/customers/"

JANE = {
    "first_name": "Jane", "last_name": "Smith", "phone_primary": "0772 987654", "email": "Jane.Smith@Example.com",
    "ssn": "123456789", "national_id": "cm12345678abcd", "address_line1": "456 Oak Ave", "city": "Los Angeles", "state": "CA",
    "zip_code": "90001",
}


def test_create_normalises_and_masks(ops_client):
    response = ops_client.post(API, JANE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["full_name"] == "Jane Smith"
    assert body["primary_phone"] == body["phone_primary"] == "+256772987654"
    assert body["email"] == "jane.smith@example.com"
    assert body["ssn"] == "••••6789" and body["national_id"] == "••••ABCD"
    customer = Customer.objects.get(pk=body["id"])
    assert customer.ssn == "123-45-6789" and customer.fingerprint


@pytest.mark.parametrize("field,value,fragment", [
    ("ssn", "12-345-6789", "XXX-XX-XXXX"),
    ("ssn", "000-12-3456", "not a valid"),
    ("phone_primary", "12", "not a valid phone number"),
])
def test_bad_identifiers_are_refused_by_name(ops_client, field, value, fragment):
    response = ops_client.post(API, {**JANE, field: value}, format="json")
    assert response.status_code == 400
    key = "primary_phone" if field == "phone_primary" else field
    assert fragment in " ".join(response.json()[key])
    assert not Customer.objects.exists()


def test_a_second_customer_with_the_same_ssn_is_refused(ops_client):
    assert ops_client.post(API, JANE, format="json").status_code == 201
    response = ops_client.post(API, {**JANE, "email": "other@example.com", "phone_primary": "+256772000001", "ssn": "123-45-6789"}, format="json")
    assert response.status_code == 400
    assert response.json()["ssn"] == ["Another customer already has this SSN."]


def test_lookup_by_ssn_matches_on_the_hash(ops_client):
    ops_client.post(API, JANE, format="json")
    CustomerFactory()
    assert ops_client.post(f"{API}lookup/", {"ssn": "123456789"}, format="json").json()["count"] == 1
    assert ops_client.post(f"{API}lookup/", {"ssn": "123-45-0000"}, format="json").json()["count"] == 0
    # Never in a URL: the list refuses the old filter.
    assert ops_client.get(API, {"ssn": "123-45-6789"}).status_code == 400


def test_put_back_what_was_read_keeps_the_identifiers(ops_client):
    created = ops_client.post(API, JANE, format="json").json()
    read = ops_client.get(f"{API}{created['id']}/").json()
    writable = {k: v for k, v in read.items() if v is not None and k not in {"id", "fingerprint", "created_at", "updated_at", "first_uploaded_at", "last_contact_date", "relationship_manager"}}
    response = ops_client.put(f"{API}{created['id']}/", {**writable, "city": "Kampala"}, format="json")
    assert response.status_code == 200, response.json()
    customer = Customer.objects.get(pk=created["id"])
    assert customer.city == "Kampala" and customer.ssn == "123-45-6789" and customer.national_id == "CM12345678ABCD"


def test_agent_can_update_a_customer_but_not_create_one(agent_client):
    customer = CustomerFactory()
    assert agent_client.post(API, JANE, format="json").status_code == 403
    response = agent_client.patch(f"{API}{customer.pk}/", {"phone_secondary": "+256 700 123 456"}, format="json")
    assert response.status_code == 200 and response.json()["secondary_phone"] == "+256700123456"


def test_outsider_cannot_read_customers(outsider_client):
    CustomerFactory()
    assert outsider_client.get(API).status_code == 403
