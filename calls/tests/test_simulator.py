"""The development default: no network, a realistic lifecycle through the
webhook's own service."""
import pytest

from calls.models import CallSession
from calls.telephony.simulator import simulated_outcome
from calls.tests.factories import CustomerFactory
from debts.models import CommunicationLog

pytestmark = pytest.mark.django_db


def test_simulated_call_plays_out_through_the_webhook_service(agent_client, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        created = agent_client.post("/api/v1/calls/", {"customer": customer.pk}, format="json").json()
    session = CallSession.objects.get(pk=created["id"])
    expected = simulated_outcome(session.pk)
    assert session.provider == "simulator" and session.call_sid.startswith("sim")
    assert session.status == expected
    statuses = list(session.status_updates.values_list("status", flat=True))  # in time order
    assert statuses[:2] == ["scheduled", "initiated"] and statuses[-1] == expected
    assert CommunicationLog.objects.filter(call_session=session).count() == 1
    customer.refresh_from_db()
    assert customer.last_contact_date is not None
