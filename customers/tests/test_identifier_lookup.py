"""Exact-match lookups by SSN, national ID and account number: a POST body,
the ``customers.lookup_identifier`` permission (ops admins only), a tight
per-user throttle, masked answers; the old ``?ssn=`` filters are refused."""
import copy

import pytest
from django.conf import settings
from django.test import override_settings

from customers import services
from debts import services as debt_services

pytestmark = pytest.mark.django_db

SSN = "123-45-6789"
NATIONAL_ID = "CM90001234ABCD"
ACCOUNT = "0123456789012"
LOAN_ACCOUNT = "7700112233"

ROUTES = {
    "/api/v1/customers/lookup/": {"ssn": SSN},
    "/api/v1/bank-accounts/lookup/": {"account_number": ACCOUNT},
    "/api/v1/debts/lookup/": {"account_number": LOAN_ACCOUNT},
}


@pytest.fixture
def person(db):
    customer = services.customer_create(full_name="Nakato Sarah", primary_phone="+256706015809", ssn=SSN, national_id=NATIONAL_ID)
    services.bank_account_create(customer_id=customer.pk, account_type="savings", account_number=ACCOUNT)
    debt_services.debt_create(customer_id=customer.pk, original_amount="500000.00", debt_type="loan", account_number=LOAN_ACCOUNT)
    return customer


def _rates(**rates):
    config = copy.deepcopy(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"].update(rates)
    return override_settings(REST_FRAMEWORK=config)


@pytest.mark.parametrize("route", list(ROUTES))
def test_ops_admin_finds_the_record_masked(ops_client, person, route):
    response = ops_client.post(route, ROUTES[route], format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    text = response.content.decode()
    for secret in (SSN, SSN.replace("-", ""), NATIONAL_ID, ACCOUNT, LOAN_ACCOUNT):
        assert secret not in text
    # No hash comes back either: nothing to compare offline.
    assert "_hash" not in text


def test_lookup_by_national_id_and_no_match(ops_client, person):
    route = "/api/v1/customers/lookup/"
    found = ops_client.post(route, {"national_id": NATIONAL_ID.lower()}, format="json").json()
    assert found["count"] == 1 and found["results"][0]["id"] == person.pk
    assert found["results"][0]["national_id"] == "••••ABCD"
    assert ops_client.post(route, {"national_id": "CM00000000XXXX"}, format="json").json() == {"count": 0, "results": []}


@pytest.mark.parametrize("body", [{}, {"ssn": SSN, "national_id": NATIONAL_ID}, {"ssn": ""}, {"ssn": "1" * 65}])
def test_a_lookup_takes_exactly_one_bounded_identifier(ops_client, person, body):
    response = ops_client.post("/api/v1/customers/lookup/", body, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("who", ["agent_client", "analyst_client", "reader_client", "outsider_client"])
def test_every_other_role_is_refused(request, person, route, who):
    client = request.getfixturevalue(who)
    response = client.post(route, ROUTES[route], format="json")
    assert response.status_code == 403
    assert "customers.lookup_identifier" in response.json()["detail"]


@pytest.mark.parametrize("route", list(ROUTES))
def test_anonymous_is_refused(api_client, person, route):
    assert api_client.post(route, ROUTES[route], format="json").status_code == 401


def test_only_ops_admins_hold_the_permission(ops_admin, agent, analyst, reader, outsider):
    assert ops_admin.has_perm("customers.lookup_identifier")
    for user in (agent, analyst, reader, outsider):
        assert not user.has_perm("customers.lookup_identifier")


@pytest.mark.parametrize(
    "url, param",
    [
        ("/api/v1/customers/", "ssn"),
        ("/api/v1/customers/", "national_id"),
        ("/api/v1/bank-accounts/", "account_number"),
        ("/api/v1/debts/", "account_number"),
    ],
)
def test_identifier_filters_in_a_url_are_refused(reader_client, ops_client, person, url, param):
    for client in (reader_client, ops_client):
        response = client.get(url, {param: "123-45-6789"})
        assert response.status_code == 400
        message = response.json()[param][0]
        assert "lookup/" in message and "POST" in message


def test_lookups_are_throttled_per_user(ops_client, person):
    with _rates(identifier_lookup="3/hour"):
        codes = [ops_client.post("/api/v1/customers/lookup/", {"ssn": f"123-45-{n:04d}"}, format="json").status_code for n in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        refused = ops_client.post("/api/v1/bank-accounts/lookup/", {"account_number": ACCOUNT}, format="json")
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        # The rest of the API is not the lookup's budget.
        assert ops_client.get("/api/v1/customers/").status_code == 200


def test_writing_identifier_guesses_is_throttled_like_a_lookup(agent_client, person):
    # "Another customer already has this SSN" would answer a guess: writes that
    # carry an identifier share the lookup's budget; other writes do not.
    url = f"/api/v1/customers/{person.pk}/"
    other = services.customer_create(full_name="Okello John", primary_phone="+256772000111")
    with _rates(identifier_lookup="2/hour"):
        codes = [agent_client.patch(f"/api/v1/customers/{other.pk}/", {"ssn": f"123-45-{n:04d}"}, format="json").status_code for n in range(3)]
        assert 429 not in codes[:2] and codes[2] == 429
        assert agent_client.patch(url, {"city": "Gulu"}, format="json").status_code == 200


def test_the_admin_forms_share_the_lookup_budget(client, agent, ops_admin, person):
    # An agent may change customers in the admin: typed identifiers count.
    client.force_login(agent)
    url = f"/admin/customers/customer/{person.pk}/change/"
    with _rates(identifier_lookup="2/hour"):
        codes = [client.post(url, {"ssn": f"123-45-{n:04d}", "full_name": "x"}).status_code for n in range(3)]
        assert 429 not in codes[:2] and codes[2] == 429
        refused = client.post(url, {"ssn": "123-45-9999"})
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        # A form without an identifier is not counted.
        assert client.post(url, {"full_name": "x"}).status_code != 429
        client.force_login(ops_admin)
        bank_url = f"/admin/customers/bankaccount/{person.bank_accounts.get().pk}/change/"
        codes = [client.post(bank_url, {"account_number": f"99887766{n}"}).status_code for n in range(3)]
        assert 429 not in codes[:2] and codes[2] == 429
    person.refresh_from_db()
    assert person.ssn == SSN
