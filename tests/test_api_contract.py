"""Every GET response, for a row in every state, matches the OpenAPI schema.

Fuzzing alone rarely lands on the one failed import or the one call without
a sid, so this walks the schema deterministically: each list operation is
read whole (``page_size=500``) over a database seeded with every state
(``tests.seed_states``), and each detail operation is read for every id its
list returned. Each response goes through schemathesis' response-schema
check, so a field that is ``null`` where the schema says string, or a value
outside a declared enum, fails here with the operation and the row named.
"""
from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests.seed_states import seed_every_state

CHECKS = [not_a_server_error, response_schema_conformance]
# Operations whose answer is not JSON described by the schema (streamed CSV),
# or that act rather than read (the webhook).
SKIP = {"/api/v1/download/raw", "/api/v1/download/processed", "/api/v1/calls/webhooks/exotel/"}


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI app's request_finished would close the test transaction's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def schema():
    return schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def ops_headers(ops_admin):
    token, _ = Token.objects.get_or_create(user=ops_admin)
    return {"Authorization": f"Token {token.key}"}


def _get_operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "GET" and operation.path not in SKIP:
            yield operation


def _list_path(path: str) -> str:
    """/api/v1/statements/{id}/raw-transactions/ → /api/v1/statements/"""
    return path[: path.index("{")]


@pytest.mark.django_db
def test_every_state_matches_the_schema(schema, ops_headers):
    seed_every_state()
    operations = list(_get_operations(schema))
    by_path = {operation.path: operation for operation in operations}
    rows: dict[str, list[dict]] = {}
    checked = 0
    failures = []

    def call(operation, path_parameters=None, query=None):
        nonlocal checked
        case = operation.Case(path_parameters=path_parameters or {}, query=query or {})
        response = case.call(headers=ops_headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=ops_headers)
        except (AssertionError, FailureGroup) as exc:
            failures.extend(f"GET {case.formatted_path}: {_brief(failure)}" for failure in getattr(exc, "exceptions", [exc]))
        checked += 1
        return response

    for operation in operations:
        if "{" in operation.path:
            continue
        base = {"page_size": 500} if _paginated(operation) else {}
        response = call(operation, query=base)
        # Each value of each enum filter too (a dashboard state, a grouping):
        # another state of the same rows, sometimes another response shape.
        for name, value in _enum_values(operation):
            call(operation, query={**base, name: value})
        body = response.json() if response.status_code == 200 else None
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            rows[operation.path] = body["results"]

    for operation in operations:
        if "{" not in operation.path:
            continue
        name = re.search(r"{(\w+)}", operation.path).group(1)
        list_op = by_path.get(_list_path(operation.path))
        key_ids = [row[name] for row in rows.get(list_op.path, [])] if list_op else []
        assert key_ids, f"the seed left nothing to read through {operation.path}"
        for value in key_ids:
            call(operation, path_parameters={name: value})

    assert not failures, f"{len(failures)} breaks in {checked} responses:\n" + "\n".join(sorted(set(failures)))


def _paginated(operation) -> bool:
    return any(parameter.name == "page_size" for parameter in operation.query)


def _brief(failure) -> str:
    """One line: what broke and where in the schema ("null is not of type 'string' at .../tampering_level")."""
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    where = next((line for line in lines if line.startswith("Schema at")), "")
    return f"{lines[1] if len(lines) > 1 else lines[0]} {where}"


def _enum_values(operation):
    for parameter in operation.query:
        for value in (parameter.definition.get("schema") or {}).get("enum") or []:
            yield parameter.name, value


# Regressions: the breaks schemathesis found (issue 13), each held to the schema
# and to the value a client now reads.


def _validate(schema, method: str, path: str, response) -> None:
    """Hold a Django test-client response to the schema of ``method path``
    (raises schemathesis' failure naming the field that breaks it)."""
    request = requests.Request(method, f"http://testserver{response.request['PATH_INFO']}").prepare()
    headers = {name.lower(): [value] for name, value in response.headers.items()}
    converted = Response(status_code=response.status_code, headers=headers, content=response.content, request=request, elapsed=0.0, verify=True)
    schema[path][method].validate_response(converted)


@pytest.mark.django_db
def test_a_failed_import_reads_as_null_verdicts_and_provider(schema, ops_client):
    failed = seed_every_state().statements["IMPORT_FAILED"]

    listed = ops_client.get("/api/v1/statements/", {"status": "IMPORT_FAILED"})
    assert listed.status_code == 200
    row = next(row for row in listed.json()["results"] if row["id"] == failed.pk)
    for name in ("acc_prvdr_code", "verification_status", "tampering_level", "balance_match", "duplicate_count",
                 "balance_diff_change_ratio"):
        assert row[name] is None, name
    _validate(schema, "GET", "/api/v1/statements/", listed)

    detail = ops_client.get(f"/api/v1/statements/{failed.pk}/")
    assert detail.status_code == 200
    assert detail.json()["acc_prvdr_code"] is None
    assert detail.json()["summary"] is None
    _validate(schema, "GET", "/api/v1/statements/{id}/", detail)


@pytest.mark.django_db
def test_an_imported_statement_not_verified_yet_reads_null_not_blank(schema, ops_client):
    imported = seed_every_state().statements["IMPORTED"]
    listed = ops_client.get("/api/v1/statements/", {"status": "IMPORTED"})
    row = next(row for row in listed.json()["results"] if row["id"] == imported.pk)
    assert row["verification_status"] is None and row["balance_match"] is None
    assert row["acc_prvdr_code"] == "UATL"
    _validate(schema, "GET", "/api/v1/statements/", listed)


@pytest.mark.django_db
def test_transaction_urls_are_absolute_and_lead_to_the_transactions(schema, ops_client):
    flagged = seed_every_state().statements["FLAGGED"]
    detail = ops_client.get(f"/api/v1/statements/{flagged.pk}/")
    body = detail.json()
    assert body["raw_transactions_url"] == f"http://testserver/api/v1/statements/{flagged.pk}/raw-transactions/"
    assert body["processed_transactions_url"] == f"http://testserver/api/v1/statements/{flagged.pk}/processed-transactions/"
    _validate(schema, "GET", "/api/v1/statements/{id}/", detail)
    raw = ops_client.get(body["raw_transactions_url"].removeprefix("http://testserver"))
    assert raw.status_code == 200 and raw.json()["count"] == 3


def test_the_schema_links_collections_and_creates_to_their_records():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    paths = generated["paths"]
    listing = paths["/api/v1/customers/"]["get"]["responses"]["200"]["links"]
    created = paths["/api/v1/customers/"]["post"]["responses"]["201"]["links"]
    detail_id = paths["/api/v1/customers/{id}/"]["get"]["operationId"]
    assert listing[f"get_{detail_id}"] == {"operationId": detail_id, "parameters": {"id": "$response.body#/results/0/id"}}
    assert created[f"get_{detail_id}"] == {"operationId": detail_id, "parameters": {"id": "$response.body#/id"}}
    # A record's actions are linked too; a detail keyed by run_id uses run_id.
    assert any(link["operationId"] == paths["/api/v1/debts/{id}/settle/"]["post"]["operationId"]
               for link in paths["/api/v1/debts/"]["get"]["responses"]["200"]["links"].values())
    details = paths["/api/v1/customer-details/"]["get"]["responses"]["200"]["links"]
    assert {link["parameters"]["run_id"] for link in details.values()} == {"$response.body#/results/0/run_id"}
    # A statement upload answers with its import job, not a statement: no link from it.
    assert "links" not in paths["/api/v1/statements/"]["post"]["responses"]["202"]
