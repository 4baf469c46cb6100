"""An unknown CallSid binds to a call only when the provider confirms it.

A callback whose CallSid we do not know names our session in CustomField;
anyone holding the webhook URL can write that. It is stored unmatched, and
only the provider's own record of the sid (Exotel's call-details API, here
the fake Exotel over real HTTP) can bind it to the session.
"""
from datetime import timedelta

import pytest
from django.utils import timezone

from calls import services
from calls.models import CallSession, CallStatusUpdate, UnmatchedCallback
from calls.tasks import reconcile_stuck_calls
from calls.telephony.exotel import ExotelProvider
from calls.tests.factories import CallSessionFactory
from calls.tests.fake_exotel import SID, Scripted, terminal_callback
from debts.models import CommunicationLog

pytestmark = pytest.mark.django_db

SID_1 = "5e55a0d1"


@pytest.fixture
def waiting(fake_exotel):
    """A scheduled call whose sid we do not know."""
    return CallSessionFactory(status="scheduled")


def _forge(client, webhook_path, session, status="completed", sid=SID_1):
    return client.post(webhook_path, terminal_callback(sid, status, duration=61, custom_field=str(session.pk)))


def _unchanged(session):
    session.refresh_from_db()
    assert session.call_sid is None and session.status == "scheduled"
    assert not CallStatusUpdate.objects.filter(call_session=session).exists()
    assert not CommunicationLog.objects.filter(customer=session.customer).exists()


def test_forged_callback_changes_nothing_and_the_provider_is_asked(client, webhook_path, waiting, fake_exotel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _forge(client, webhook_path, waiting)
    assert response.status_code == 200 and response.json() == {"result": "unmatched", "call": None, "status": "completed"}
    _unchanged(waiting)
    # The provider was asked about that sid at once, and has no such call.
    [request] = fake_exotel.details_requests()
    assert request.path == f"/v1/Accounts/{SID}/Calls/{SID_1}.json"
    stored = UnmatchedCallback.objects.get()
    assert stored.reconciled_at is None and stored.reconciled_session is None
    assert stored.checked_at and "not confirmed" in stored.check_result and SID_1 in stored.check_result
    # The next reconciliation run does not bind it either (nor ask again so soon).
    reconcile_stuck_calls()
    _unchanged(waiting)
    assert len(fake_exotel.details_requests()) == 1
    assert UnmatchedCallback.objects.get().reconciled_at is None


def test_reconciliation_binds_the_sid_when_the_provider_confirms_it(client, webhook_path, waiting, fake_exotel):
    _forge(client, webhook_path, waiting)
    _unchanged(waiting)
    # Exotel did place that call (our connect request's answer was lost).
    fake_exotel.add_call(SID_1, from_number=waiting.to_number, to_number="+256772000111", status="completed",
                         Details={"ConversationDuration": 40})
    assert reconcile_stuck_calls()["unmatched_applied"] == 1
    waiting.refresh_from_db()
    assert waiting.call_sid == SID_1 and waiting.status == "completed"
    # What the provider says, not what the callback claimed (61 s).
    assert waiting.duration_seconds == 40
    update = CallStatusUpdate.objects.get(call_session=waiting, status="completed")
    assert "confirmed by the provider" in update.message
    assert CommunicationLog.objects.get(call_session=waiting).outcome == "connected"
    stored = UnmatchedCallback.objects.get()
    assert stored.reconciled_session == waiting and stored.reconciled_at and "confirmed" in stored.check_result


@pytest.mark.parametrize(
    "record,why",
    [
        ({"from_number": "+256709999999", "to_number": "+256772000111"}, "not to this session's customer"),
        ({"date_created": "2020-01-01 10:00:00"}, "placed before this session was scheduled"),
        ({"CustomField": "999999"}, "CustomField"),
    ],
    ids=["another-number", "older-call", "another-custom-field"],
)
def test_a_provider_record_that_does_not_match_leaves_it_unmatched(client, webhook_path, waiting, fake_exotel, record, why):
    _forge(client, webhook_path, waiting)
    fake_exotel.add_call(SID_1, **{"from_number": waiting.to_number, **record})
    assert services.unmatched_callback_confirm(callback_id=UnmatchedCallback.objects.get().pk) == "unconfirmed"
    _unchanged(waiting)
    stored = UnmatchedCallback.objects.get()
    assert stored.reconciled_at is None and why in stored.check_result


def test_provider_down_leaves_it_unmatched_for_the_next_run(client, webhook_path, waiting, fake_exotel, settings):
    _forge(client, webhook_path, waiting)
    settings.EXOTEL_BASE_URL = "http://127.0.0.1:1"  # nothing listens there
    assert services.unmatched_callback_confirm(callback_id=UnmatchedCallback.objects.get().pk) == "error"
    _unchanged(waiting)


def test_a_session_that_has_its_sid_is_never_rebound(client, webhook_path, fake_exotel):
    placed = CallSessionFactory(status="initiated", call_sid="0a0a0a0a", initiated_at=timezone.now())
    _forge(client, webhook_path, placed)
    fake_exotel.add_call(SID_1, from_number=placed.to_number)
    assert services.unmatched_callback_confirm(callback_id=UnmatchedCallback.objects.get().pk) == "skipped"
    placed.refresh_from_db()
    assert placed.call_sid == "0a0a0a0a" and placed.status == "initiated"
    assert fake_exotel.details_requests() == []


def test_old_unmatched_callbacks_are_no_longer_asked_about(client, webhook_path, waiting, fake_exotel):
    _forge(client, webhook_path, waiting)
    UnmatchedCallback.objects.update(received_at=timezone.now() - timedelta(days=2))
    fake_exotel.add_call(SID_1, from_number=waiting.to_number)
    assert reconcile_stuck_calls()["unmatched_applied"] == 0
    assert fake_exotel.details_requests() == []
    _unchanged(waiting)


@pytest.mark.django_db(transaction=True)
def test_a_call_placed_after_our_request_timed_out_is_bound_through_the_provider(live_server, fake_exotel, settings):
    """End to end over HTTP: Exotel places the call but its answer reaches
    us after our timeout; its callbacks (CustomField = our session) reach the
    webhook, stay unmatched, and the provider's record binds them."""
    settings.PUBLIC_BASE_URL = live_server.url
    fake_exotel.auto_callbacks = [{"EventType": "terminal", "Status": "completed", "ConversationDuration": "33"}]
    fake_exotel.script.append(Scripted(200, delay=1.0))
    session = CallSessionFactory(status="scheduled")
    impatient = ExotelProvider(
        base_url=fake_exotel.base_url, sid=SID, api_key="key-123", api_token="token-456",
        caller_id=settings.EXOTEL_CALLER_ID, flow_url=settings.EXOTEL_FLOW_URL, http_timeout=(1.0, 0.3),
    )
    assert services.call_session_dispatch(session_id=session.pk, provider=impatient).outcome == "deferred"
    fake_exotel.wait_for_calls(1)
    fake_exotel.wait_for_callbacks()
    assert fake_exotel.callback_responses == [200]
    session.refresh_from_db()
    [sid] = list(fake_exotel.calls)
    assert session.call_sid == sid and session.status == "completed"
    assert CommunicationLog.objects.filter(call_session=session, outcome="connected").count() == 1
    assert UnmatchedCallback.objects.get().reconciled_session_id == session.pk
    # The dispatcher does not dial it again.
    assert services.call_session_dispatch(session_id=session.pk).outcome == "skipped"
    assert CallSession.objects.count() == 1


def test_ops_admin_asks_the_provider_from_the_admin_and_agents_cannot(client, webhook_path, waiting, fake_exotel, ops_admin, agent):
    _forge(client, webhook_path, waiting)
    stored = UnmatchedCallback.objects.get()
    fake_exotel.add_call(SID_1, from_number=waiting.to_number, status="no-answer")
    action = {"action": "confirm_with_provider", "_selected_action": [stored.pk]}
    client.force_login(agent)
    client.post("/admin/calls/unmatchedcallback/", action)
    assert fake_exotel.details_requests() == []
    _unchanged(waiting)
    client.force_login(ops_admin)
    page = client.post("/admin/calls/unmatchedcallback/", action, follow=True).content.decode()
    assert "1 bound" in page
    waiting.refresh_from_db()
    assert waiting.call_sid == SID_1 and waiting.status == "no-answer"
