"""No personal identifier leaves CreditDesk unmasked: not in API responses,
not in exports, not in logs. Seeds real-looking SSNs, national IDs and
account numbers through the API, then greps everything a user can read."""
import logging

import pytest
from django.urls import reverse

from customers.admin import CustomerResource
from customers.models import BankAccount
from debts.admin import DebtResource
from tests.test_security import OPERATIONS

SSN = "123-45-6789"
NATIONAL_ID = "CM90001234ABCD"
ACCOUNT = "0123456789012"
ROUTING = "021000021"
SECRETS = [SSN, SSN.replace("-", ""), NATIONAL_ID, ACCOUNT, ROUTING]

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(ops_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = ops_client.post(
        reverse("api:customer-list"),
        {"full_name": "Nakato Sarah", "primary_phone": "0706015809", "ssn": SSN, "national_id": NATIONAL_ID},
        format="json",
    )
    assert response.status_code == 201, response.content
    customer_id = response.json()["id"]
    response = ops_client.post(
        reverse("api:bank-account-list"),
        {"customer": customer_id, "account_type": "savings", "account_number": ACCOUNT, "routing_number": ROUTING, "is_primary": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = ops_client.post(
        reverse("api:debt-list"),
        {"customer": customer_id, "original_amount": "500000.00", "debt_type": "loan", "account_number": ACCOUNT},
        format="json",
    )
    assert response.status_code == 201, response.content
    return customer_id


def _assert_clean(text: str, where: str):
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} appears unmasked in {where}"


def test_api_responses_show_only_the_last_four(ops_client, seeded):
    for route in ("api:customer-list", "api:bank-account-list", "api:debt-list"):
        response = ops_client.get(reverse(route))
        assert response.status_code == 200
        _assert_clean(response.content.decode(), route)
    detail = ops_client.get(reverse("api:customer-detail", args=[seeded]))
    _assert_clean(detail.content.decode(), "customer detail")
    assert detail.json()["ssn"].endswith("6789")


def test_every_list_endpoint_is_clean(ops_client, seeded):
    for method, path in OPERATIONS:
        if method != "get" or "{" in path:
            continue
        response = ops_client.get(path)
        if response.status_code == 200 and not response.streaming:
            _assert_clean(response.content.decode(errors="replace"), path)


def test_admin_exports_are_masked(seeded):
    for resource in (CustomerResource(), DebtResource()):
        exported = resource.export().csv
        _assert_clean(exported, type(resource).__name__)
    assert "6789" in CustomerResource().export().csv


def test_admin_pages_are_masked(client, ops_admin, seeded):
    ops_admin.is_superuser = True
    ops_admin.save()
    client.force_login(ops_admin)
    for url in (
        reverse("admin:customers_customer_change", args=[seeded]),
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_bankaccount_change", args=[BankAccount.objects.get().pk]),
        reverse("admin:customers_customer_history", args=[seeded]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_clean(response.content.decode(), url)


def test_logs_are_clean(seeded, caplog):
    _assert_clean("\n".join(r.getMessage() for r in caplog.records), "logs")
