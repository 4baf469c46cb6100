"""Schemathesis fuzzes every operation of our own OpenAPI schema, in process.

Authenticated as an ops admin, with a bounded number of examples per
operation (``FUZZ_MAX_EXAMPLES``, default 15). It fails on any 5xx and on
any response that does not match the schema.
"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.checks import not_a_server_error

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "15"))


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Calling the WSGI app directly fires request_finished, which would close
    the database connection that holds the test transaction; Django's own
    test client disconnects these handlers the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def ops_headers(ops_admin):
    token, _ = Token.objects.get_or_create(user=ops_admin)
    return {"Authorization": f"Token {token.key}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_operation(case, ops_headers):
    case.call_and_validate(headers=ops_headers, checks=[not_a_server_error, response_schema_conformance])
