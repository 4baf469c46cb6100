"""Schemathesis fuzzes every operation of our own OpenAPI schema, in process,
against a database seeded with every state of every model (``tests.seed_states``).

Authenticated as an ops admin, with a bounded number of examples per
operation (``FUZZ_MAX_EXAMPLES``, default 15). It fails on any 5xx and on
any response that does not match the schema. Then a stateful run follows
the schema's links (``config.spectacular.add_links``: a collection's first
row, or a created record, to the record's operations) in sequences of calls
(``FUZZ_STATEFUL_EXAMPLES`` scenarios, default 40, of up to
``FUZZ_STATEFUL_STEPS`` steps, default 8), with the same checks.
"""
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests.seed_states import seed_every_state

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "15"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "40"))
STATEFUL_STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "8"))
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Calling the WSGI app directly fires request_finished, which would close
    the database connection that holds the test transaction; Django's own
    test client disconnects these handlers the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def ops_headers(ops_admin):
    token, _ = Token.objects.get_or_create(user=ops_admin)
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def seeded(db):
    return seed_every_state()


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_operation(case, ops_headers, seeded):
    case.call_and_validate(headers=ops_headers, checks=CHECKS)


@pytest.mark.django_db
def test_api_stateful(ops_headers, seeded):
    """Sequences of calls along the schema's links, over the seeded states."""
    headers = ops_headers
    followed = []  # record operations reached through a link

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            if "{" in case.operation.path:
                followed.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=headers)

    assert Workflow.schema.statistic.transitions.total > 20, "the schema lost its links (config.spectacular.add_links)"
    Workflow.run(settings=settings(
        max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck), phases=[Phase.generate],
    ))
    # The links led somewhere: some record operations answered 200 on a seeded or created row.
    assert any(status == 200 for _, status in followed), followed
