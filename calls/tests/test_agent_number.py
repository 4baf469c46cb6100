"""``agent_number`` (the number Exotel connects the customer to) must be a
configured agent number (EXOTEL_AGENT_NUMBERS) or the ExoPhone
(EXOTEL_CALLER_ID): any other number is refused at the API, and again at
dispatch if the configuration changed since."""
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from calls import services
from calls.models import CallSession
from calls.tests.factories import CallSessionFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(settings):
    settings.EXOTEL_AGENT_NUMBERS = ["+256772000111", "0772 000 222"]
    settings.EXOTEL_CALLER_ID = "08047112345"
    return settings


@pytest.mark.parametrize("number", ["+256 701 999 999", "+14155550100", "0772000333"])
@pytest.mark.parametrize("client_name", ["agent_client", "ops_client"])
def test_any_other_number_is_refused_with_400(request, agents, number, client_name):
    customer = CustomerFactory()
    response = request.getfixturevalue(client_name).post(
        "/api/v1/calls/", {"customer": customer.pk, "agent_number": number}, format="json"
    )
    assert response.status_code == 400
    [message] = response.json()["agent_number"]
    assert "EXOTEL_AGENT_NUMBERS" in message and "EXOTEL_CALLER_ID" in message and number in message
    assert not CallSession.objects.exists()


@pytest.mark.parametrize("number,dialled", [
    ("+256772000111", "+256772000111"),
    ("0772000111", "+256772000111"),  # the same number written locally
    ("+256772000222", "+256772000222"),  # configured as "0772 000 222"
    ("08047112345", "08047112345"),  # the ExoPhone
])
def test_a_configured_number_is_connected(agent_client, agents, fake_exotel, django_capture_on_commit_callbacks, number, dialled):
    agents.EXOTEL_CALLER_ID = "08047112345"  # fake_exotel set its own; the ExoPhone is a valid agent number too
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post("/api/v1/calls/", {"customer": customer.pk, "agent_number": number}, format="json")
    assert response.status_code == 201, response.content
    [connect] = fake_exotel.connect_requests()
    assert connect.form["To"] == dialled


def test_no_configured_numbers_means_only_the_call_flow(agent_client, settings):
    settings.EXOTEL_AGENT_NUMBERS = []
    settings.EXOTEL_CALLER_ID = ""
    customer = CustomerFactory()
    refused = agent_client.post("/api/v1/calls/", {"customer": customer.pk, "agent_number": "+256772000111"}, format="json")
    assert refused.status_code == 400 and "EXOTEL_AGENT_NUMBERS" in refused.json()["agent_number"][0]
    assert agent_client.post("/api/v1/calls/", {"customer": customer.pk}, format="json").status_code == 201


def test_the_service_refuses_it_whoever_calls(agents):
    customer = CustomerFactory()
    with pytest.raises(services.CallNotAllowed) as refused:
        services.call_session_create(customer_id=customer.pk, agent_number="+256701999999")
    assert refused.value.field == "agent_number"
    assert not CallSession.objects.exists()


def test_a_number_removed_from_the_configuration_is_not_dialled(agents, fake_exotel):
    session = CallSessionFactory(status="scheduled", call_metadata={"agent_number": "+256772000999"})
    result = services.call_session_dispatch(session_id=session.pk)
    assert result.outcome == "failed"
    assert fake_exotel.connect_requests() == []
    session.refresh_from_db()
    assert session.status == "failed" and "EXOTEL_AGENT_NUMBERS" in session.error_message
    assert session.status_updates.get(status="failed").message.startswith("Not placed:")


def test_a_malformed_configured_number_fails_at_start():
    env = {**os.environ, "EXOTEL_AGENT_NUMBERS": "+256772000111,call-me-maybe", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "EXOTEL_AGENT_NUMBERS" in result.stderr and "call-me-maybe" in result.stderr
