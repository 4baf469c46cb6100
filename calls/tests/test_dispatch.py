"""Placing calls through Exotel: the request Exotel receives, and what a
429, a 5xx, a 4xx, do-not-call, calling hours and the daily cap do."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from calls import services
from calls.models import CallSession
from calls.telephony.exotel import ExotelProvider
from calls.tests.factories import CallSessionFactory, CustomerFactory, DebtFactory
from calls.tests.fake_exotel import API_KEY, API_TOKEN, Scripted

pytestmark = pytest.mark.django_db


def test_post_calls_places_the_call_through_exotel(agent, agent_client, fake_exotel, django_capture_on_commit_callbacks):
    debt = DebtFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post("/api/v1/calls/", {"customer": debt.customer_id, "debt": debt.pk}, format="json")
    assert response.status_code == 201, response.content
    # (The test transaction runs the enqueued task after the response; GET
    # shows what happened.)
    body = agent_client.get(f"/api/v1/calls/{response.json()['id']}/").json()
    assert body["status"] == "initiated"
    [request] = fake_exotel.connect_requests()
    assert body["call_sid"] in fake_exotel.calls
    assert request.auth == (API_KEY, API_TOKEN)
    assert request.form["From"] == debt.customer.primary_phone
    assert request.form["Url"].endswith("/exoml/start_voice/926")
    assert request.form["CallerId"] == "08047112345"
    assert request.form["CustomField"] == str(body["id"])
    assert request.form["TimeLimit"] == "600" and request.form["TimeOut"] == "30"
    assert request.form["StatusCallback"] == "https://creditdesk.example.com/api/v1/calls/webhooks/exotel/?token=test-webhook-token-5f1c"
    assert {request.form["StatusCallbackEvents[0]"], request.form["StatusCallbackEvents[1]"]} == {"terminal", "answered"}
    session = CallSession.objects.get(pk=body["id"])
    assert session.debt_id == debt.pk and session.triggered_by == agent and session.initiated_at
    assert [u["status"] for u in body["status_updates"]] == ["scheduled", "initiated"]


def test_agent_number_connects_customer_to_agent(agent_client, fake_exotel, django_capture_on_commit_callbacks, settings):
    settings.EXOTEL_AGENT_NUMBERS = ["+256772000111"]
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post("/api/v1/calls/", {"customer": customer.pk, "agent_number": "+256772000111"}, format="json")
    assert response.status_code == 201
    [request] = fake_exotel.connect_requests()
    assert request.form["To"] == "+256772000111" and "Url" not in request.form


def test_429_waits_for_retry_after_then_succeeds(fake_exotel):
    session = CallSessionFactory(status="scheduled")
    fake_exotel.script.append(Scripted(429, headers={"Retry-After": "37"}))
    before = timezone.now()
    result = services.call_session_dispatch(session_id=session.pk)
    session.refresh_from_db()
    assert result.outcome == "deferred"
    assert session.status == "scheduled" and session.call_sid is None
    assert timedelta(seconds=36) <= session.scheduled_for - before <= timedelta(seconds=39)
    assert "rate limit" in session.error_message
    # Not before Retry-After…
    assert services.call_session_dispatch(session_id=session.pk).outcome == "deferred"
    assert len(fake_exotel.connect_requests()) == 1
    # …and after it, the call goes through.
    result = services.call_session_dispatch(session_id=session.pk, now=session.scheduled_for + timedelta(seconds=1))
    session.refresh_from_db()
    assert result.outcome == "initiated" and session.call_sid and session.attempt_count == 2
    assert len(fake_exotel.connect_requests()) == 2


def test_5xx_backs_off_exponentially_and_gives_up_after_five_tries(fake_exotel):
    session = CallSessionFactory(status="scheduled")
    fake_exotel.script.extend(Scripted(503) for _ in range(6))
    delays = []
    now = timezone.now()
    for _ in range(5):
        result = services.call_session_dispatch(session_id=session.pk, now=now)
        session.refresh_from_db()
        if result.outcome == "deferred":
            delays.append((session.scheduled_for - now).total_seconds())
            now = session.scheduled_for + timedelta(seconds=1)
    assert len(fake_exotel.connect_requests()) == 5
    assert result.outcome == "failed"
    assert session.status == "failed" and "Gave up after 5 attempts" in session.error_message
    assert len(delays) == 4 and all(b > a for a, b in zip(delays, delays[1:], strict=False))  # growing waits
    assert services.call_session_dispatch(session_id=session.pk, now=now).outcome == "skipped"
    assert len(fake_exotel.connect_requests()) == 5


def test_timeout_is_retried(fake_exotel, settings):
    session = CallSessionFactory(status="scheduled")
    fake_exotel.script.append(Scripted(200, delay=1.0))
    provider = ExotelProvider.from_settings()
    provider.http_timeout = (1.0, 0.3)
    result = services.call_session_dispatch(session_id=session.pk, provider=provider)
    session.refresh_from_db()
    assert result.outcome == "deferred" and "timed out" in session.error_message
    assert session.status == "scheduled" and session.attempt_count == 1


def test_4xx_is_recorded_and_not_retried(fake_exotel):
    session = CallSessionFactory(status="scheduled")
    fake_exotel.script.append(Scripted(400, {"RestException": {"Status": 400, "Message": "Invalid From number"}}))
    result = services.call_session_dispatch(session_id=session.pk)
    session.refresh_from_db()
    assert result.outcome == "failed"
    assert session.status == "failed" and "Invalid From number" in session.error_message
    assert list(session.status_updates.values_list("status", flat=True)) == ["failed"]
    assert services.call_session_dispatch(session_id=session.pk).outcome == "skipped"
    assert len(fake_exotel.connect_requests()) == 1
    assert not session.communication_logs.exists()  # no call reached the customer


def test_do_not_call_is_refused_up_front_and_cancels_at_dispatch(agent_client, fake_exotel):
    customer = CustomerFactory(do_not_call=True)
    response = agent_client.post("/api/v1/calls/", {"customer": customer.pk}, format="json")
    assert response.status_code == 400 and "do-not-call" in response.json()["customer"][0]
    other = CallSessionFactory(status="scheduled")
    other.customer.do_not_call = True
    other.customer.save()
    assert services.call_session_dispatch(session_id=other.pk).outcome == "canceled"
    other.refresh_from_db()
    assert other.status == "canceled" and fake_exotel.connect_requests() == []


def test_outside_calling_hours_waits_for_next_window_in_customer_timezone(settings, fake_exotel):
    settings.CALLING_HOURS = "09:00-19:00"
    customer = CustomerFactory(timezone="Asia/Kolkata")
    # 20:30 in Kolkata: too late there, though only 18:00 in Kampala.
    now = datetime(2026, 11, 23, 20, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    session = services.call_session_create(customer_id=customer.pk, now=now, dispatch=False)
    assert session.scheduled_for == datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert services.call_session_dispatch(session_id=session.pk, now=now).outcome == "deferred"
    assert fake_exotel.connect_requests() == []
    result = services.call_session_dispatch(session_id=session.pk, now=session.scheduled_for)
    assert result.outcome == "initiated"


def test_daily_attempt_cap_pushes_to_tomorrow(settings, fake_exotel):
    settings.CALLS_MAX_ATTEMPTS_PER_DAY = 2
    settings.CALLING_HOURS = "08:00-20:00"
    customer = CustomerFactory()
    now = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Africa/Kampala"))
    for minutes in (0, 30):
        CallSessionFactory(customer=customer, status="no-answer", initiated_at=now - timedelta(minutes=60 - minutes))
    session = CallSessionFactory(customer=customer, status="scheduled")
    result = services.call_session_dispatch(session_id=session.pk, now=now)
    session.refresh_from_db()
    assert result.outcome == "deferred" and "Daily cap" in session.error_message
    assert session.scheduled_for == datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Africa/Kampala"))
    assert fake_exotel.connect_requests() == []


def test_one_open_call_per_customer(agent_client, fake_exotel):
    session = CallSessionFactory(status="ringing", call_sid="abc")
    response = agent_client.post("/api/v1/calls/", {"customer": session.customer_id}, format="json")
    assert response.status_code == 400 and f"#{session.pk}" in response.json()["customer"][0]


def test_exhausted_shared_rate_limit_defers_without_calling(settings, fake_exotel, redis_bucket):
    settings.CALLS_RATE_LIMIT_PER_MINUTE = 1  # burst of one, then one a minute
    first, second = CallSessionFactory(status="scheduled"), CallSessionFactory(status="scheduled")
    assert services.call_session_dispatch(session_id=first.pk).outcome == "initiated"
    result = services.call_session_dispatch(session_id=second.pk)
    second.refresh_from_db()
    assert result.outcome == "deferred" and result.detail == "rate limit"
    assert 50 <= (second.scheduled_for - timezone.now()).total_seconds() <= 61
    assert len(fake_exotel.connect_requests()) == 1


def test_claimed_session_is_not_dialled_twice(fake_exotel):
    session = CallSessionFactory(status="scheduled", dispatch_claimed_until=timezone.now() + timedelta(seconds=60))
    assert services.call_session_dispatch(session_id=session.pk).outcome == "skipped"
    assert fake_exotel.connect_requests() == []


@pytest.mark.parametrize("client_name,expected", [("reader_client", 403), ("outsider_client", 403), ("api_client", 401)])
def test_only_agents_may_trigger_calls(request, client_name, expected):
    customer = CustomerFactory()
    client = request.getfixturevalue(client_name)
    assert client.post("/api/v1/calls/", {"customer": customer.pk}, format="json").status_code == expected
    assert not CallSession.objects.exists()


def test_reader_can_see_a_call_with_its_status_updates(reader_client):
    session = CallSessionFactory(status="completed", call_sid="xyz")
    session.status_updates.create(status="completed", timestamp=timezone.now())
    body = reader_client.get(f"/api/v1/calls/{session.pk}/").json()
    assert body["call_sid"] == "xyz" and [u["status"] for u in body["status_updates"]] == ["completed"]


def test_rate_limiter_outage_defers_instead_of_calling(fake_exotel, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/7"  # nothing listens there: Redis is "down"
    session = CallSessionFactory(status="scheduled")
    result = services.call_session_dispatch(session_id=session.pk)
    session.refresh_from_db()
    assert result.outcome == "deferred" and session.status == "scheduled" and session.dispatch_claimed_until is None
    assert fake_exotel.connect_requests() == []
