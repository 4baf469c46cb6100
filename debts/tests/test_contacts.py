"""Issue 13, contacts: a communication log's agent is the user who records
it, and its call session is a call to its own customer — API and admin."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from calls.models import CallSession
from debts import services
from debts.choices import CommunicationOutcome
from debts.models import CommunicationLog, Disposition
from debts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _session(customer) -> CallSession:
    return CallSession.objects.create(customer=customer, to_number=customer.primary_phone, provider="exotel")


@pytest.mark.parametrize(("who", "username"), [("ops", "ops"), ("agent", "agent")])
def test_the_api_records_the_authenticated_user_as_the_agent_and_refuses_another(request, who, username):
    client = request.getfixturevalue(f"{who}_client")
    customer = CustomerFactory()
    body = {"customer": customer.pk, "communication_type": "SMS", "direction": "outbound"}

    refused = client.post(f"{API}/communication-logs/", {**body, "agent_id": "someone-else"}, format="json")
    assert refused.status_code == 400
    assert username in refused.json()["agent_id"][0] and "someone-else" in refused.json()["agent_id"][0]
    assert not CommunicationLog.objects.exists()

    for extra in ({}, {"agent_id": username}):
        created = client.post(f"{API}/communication-logs/", {**body, **extra}, format="json")
        assert created.status_code == 201
        assert created.json()["agent_id"] == username and created.json()["agent_user"] == request.getfixturevalue(
            "ops_admin" if who == "ops" else "agent").pk


@pytest.mark.parametrize("who", ["reader", "outsider", "analyst"])
def test_roles_without_the_right_cannot_log_contacts(request, who):
    client = request.getfixturevalue(f"{who}_client")
    customer = CustomerFactory()
    response = client.post(f"{API}/communication-logs/", {"customer": customer.pk, "communication_type": "SMS", "direction": "outbound"},
                           format="json")
    assert response.status_code == 403 and not CommunicationLog.objects.exists()


def test_the_api_refuses_a_log_naming_another_customers_call(agent_client):
    mine, theirs = CustomerFactory(), CustomerFactory()
    their_call = _session(theirs)
    response = agent_client.post(f"{API}/communication-logs/", {
        "customer": mine.pk, "call_session": their_call.pk, "communication_type": "CALL", "direction": "outbound",
    }, format="json")
    assert response.status_code == 400
    message = response.json()["call_session"][0]
    assert f"customer #{theirs.pk}" in message and f"customer #{mine.pk}" in message
    assert not CommunicationLog.objects.exists()
    mine_before = type(mine).objects.get(pk=mine.pk).last_contact_date
    assert mine_before is None  # a refused log moves no contact date

    own = agent_client.post(f"{API}/communication-logs/", {
        "customer": mine.pk, "call_session": _session(mine).pk, "communication_type": "CALL", "direction": "outbound",
    }, format="json")
    assert own.status_code == 201


def test_a_system_path_without_a_user_names_itself(agent):
    customer = CustomerFactory()
    log = services.communication_log_create(customer_id=customer.pk, communication_type="CALL", agent_id="exotel")
    assert log.agent_id == "exotel" and log.agent_user is None
    with pytest.raises(ValidationError) as exc:
        services.communication_log_create(customer_id=customer.pk, communication_type="CALL", agent_id="exotel", agent_user=agent)
    assert "agent_id" in exc.value.message_dict


def test_the_admin_sets_the_agent_to_the_logged_in_user(client, agent):
    customer = CustomerFactory()
    client.force_login(agent)
    url = reverse("admin:debts_communicationlog_add")
    assert "agent_id" not in client.get(url).context["adminform"].form.fields
    now = timezone.localtime()
    response = client.post(url, {
        "customer": customer.pk, "communication_type": "SMS", "direction": "outbound",
        "timestamp_0": f"{now:%Y-%m-%d}", "timestamp_1": f"{now:%H:%M:%S}", "agent_id": "someone-else",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    log = CommunicationLog.objects.get()
    assert (log.agent_id, log.agent_user) == ("agent", agent)


def test_the_admin_refuses_a_log_naming_another_customers_call(client, ops_admin):
    mine, theirs = CustomerFactory(), CustomerFactory()
    client.force_login(ops_admin)
    now = timezone.localtime()
    response = client.post(reverse("admin:debts_communicationlog_add"), {
        "customer": mine.pk, "call_session": _session(theirs).pk, "communication_type": "CALL", "direction": "outbound",
        "timestamp_0": f"{now:%Y-%m-%d}", "timestamp_1": f"{now:%H:%M:%S}",
    }, follow=True)
    assert "Not saved" in response.content.decode() and f"not to customer #{mine.pk}" in response.content.decode()
    assert not CommunicationLog.objects.exists()


@pytest.mark.parametrize("missing", ["deleted", "retired"])
def test_a_finished_call_is_logged_even_when_its_disposition_was_deleted_or_retired(missing):
    """A system path records what happened: the disposition row is made (or
    used while retired) instead of the finished call failing to be logged.
    A person choosing a retired or missing disposition is still refused."""
    customer = CustomerFactory()
    if missing == "deleted":
        Disposition.objects.filter(code="failed").delete()
    else:
        Disposition.objects.filter(code="failed").update(active=False)

    log = services.communication_log_create(
        customer_id=customer.pk, communication_type="CALL", outcome=CommunicationOutcome.FAILED, agent_id="simulator",
        call_session_id=_session(customer).pk,
    )
    log.refresh_from_db()
    assert log.outcome == "failed" and log.disposition.code == "failed"
    assert Disposition.objects.filter(code="failed").count() == 1

    person = get_user_model().objects.create_user(username="person")
    if missing == "retired":
        with pytest.raises(ValidationError, match="not a disposition in use"):
            services.communication_log_create(customer_id=customer.pk, communication_type="CALL", outcome="failed", agent_user=person)
    else:  # made again by the system path, so it is in the list for people too
        assert services.communication_log_create(
            customer_id=customer.pk, communication_type="CALL", outcome="failed", agent_user=person
        ).disposition.code == "failed"


def test_a_call_a_person_placed_is_logged_with_its_observed_outcome_even_when_retired():
    """The call's status is what happened, whoever pressed "Call now"."""
    customer = CustomerFactory()
    Disposition.objects.filter(code="no_answer").update(active=False)
    person = get_user_model().objects.create_user(username="caller")
    log = services.communication_log_create(
        customer_id=customer.pk, communication_type="CALL", outcome=CommunicationOutcome.NO_ANSWER, agent_user=person,
        call_session_id=_session(customer).pk, observed_outcome=True,
    )
    assert log.disposition.code == "no_answer" and log.agent_id == "caller"
