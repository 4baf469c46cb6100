"""The API skeleton: schema, authentication and permissions."""
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST_ROUTES = [
    "api:customer-list",
    "api:bank-account-list",
    "api:customer-details-list",
    "api:debt-list",
    "api:payment-list",
    "api:communication-log-list",
    "api:promise-list",
    "api:statement-list",
    "api:upload-list",
    "api:call-list",
]


def test_schema_generates_without_warnings():
    out, err = StringIO(), StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=err)
    assert "openapi: 3" in out.getvalue()


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_anonymous_request_is_refused(api_client, route):
    assert api_client.get(reverse(route)).status_code == 401


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_user_without_role_is_forbidden(outsider_client, route):
    assert outsider_client.get(reverse(route)).status_code == 403


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_read_only_role_can_list(reader_client, route):
    response = reader_client.get(reverse(route))
    assert response.status_code == 200
    assert "results" in response.json()


def test_health_endpoint(client):
    assert client.get("/healthz").json() == {"status": "ok"}
