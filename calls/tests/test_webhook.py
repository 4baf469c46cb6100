"""Exotel's status callbacks: every status tracked, once, forward only."""
import logging
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from calls.models import CallStatusUpdate, UnmatchedCallback
from calls.tasks import reconcile_stuck_calls
from calls.tests.factories import CallSessionFactory, DebtFactory
from calls.tests.fake_exotel import answered_callback, terminal_callback
from debts.models import CommunicationLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed():
    debt = DebtFactory(current_balance=Decimal("90000.00"))
    return CallSessionFactory(customer=debt.customer, debt=debt, status="initiated", call_sid="c0ffee01", initiated_at=timezone.now())


def statuses(session):
    return list(CallStatusUpdate.objects.filter(call_session=session).order_by("timestamp", "id").values_list("status", flat=True))


def test_answered_then_completed_finishes_the_call(client, webhook_path, placed):
    r1 = client.post(webhook_path, answered_callback("c0ffee01"))
    r2 = client.post(webhook_path, terminal_callback("c0ffee01", "completed", duration=73))
    assert r1.status_code == 200 and r1.json()["result"] == "applied"
    assert r2.status_code == 200 and r2.json() == {"result": "applied", "call": placed.pk, "status": "completed"}
    placed.refresh_from_db()
    assert placed.status == "completed"
    assert placed.duration_seconds == 73
    assert placed.recording_url == "https://recordings.exotel.com/c0ffee01.mp3"
    assert placed.answered_at and placed.ended_at
    assert placed.ended_at.isoformat().startswith("2026-11-22T04:35:00")  # 10:05 IST in UTC
    assert statuses(placed) == ["in-progress", "completed"]
    # The raw payload, legs included, is kept.
    legs = placed.provider_data["callbacks"]["completed"]["Legs"]
    assert legs[1] == {"OnCallDuration": "73", "Status": "completed"}
    log = CommunicationLog.objects.get(call_session=placed)
    assert (log.communication_type, log.direction, log.outcome, log.duration_seconds) == ("CALL", "outbound", "connected", 73)
    assert log.debt_id == placed.debt_id
    placed.customer.refresh_from_db()
    assert placed.customer.last_contact_date == placed.ended_at


def test_multipart_body_is_accepted(client, webhook_path, placed):
    # Django's test client encodes a dict as multipart/form-data by default.
    response = client.post(webhook_path, data=terminal_callback("c0ffee01", "no-answer"))
    assert response.status_code == 200
    placed.refresh_from_db()
    assert placed.status == "no-answer" and placed.recording_url == "" and placed.duration_seconds == 0
    assert CommunicationLog.objects.get(call_session=placed).outcome == "no_answer"


def test_form_urlencoded_body_is_accepted(client, webhook_path, placed):
    response = client.post(webhook_path, data=urlencode(terminal_callback("c0ffee01", "busy")), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    placed.refresh_from_db()
    assert placed.status == "busy"


def test_duplicate_callback_adds_nothing(client, webhook_path, placed):
    body = terminal_callback("c0ffee01", "completed")
    client.post(webhook_path, body)
    second = client.post(webhook_path, body)
    assert second.status_code == 200 and second.json()["result"] == "duplicate"
    assert statuses(placed) == ["completed"]
    assert CommunicationLog.objects.filter(call_session=placed).count() == 1


def test_late_callback_never_moves_a_finished_call_back(client, webhook_path, placed):
    client.post(webhook_path, terminal_callback("c0ffee01", "completed", date="2026-11-22 10:05:00"))
    late = client.post(webhook_path, answered_callback("c0ffee01", date="2026-11-22 10:00:20"))
    assert late.json()["result"] == "late"
    placed.refresh_from_db()
    assert placed.status == "completed"
    assert statuses(placed) == ["in-progress", "completed"]  # history in the order it happened
    # A second, different ending is ignored: a call ends once.
    client.post(webhook_path, terminal_callback("c0ffee01", "failed"))
    placed.refresh_from_db()
    assert placed.status == "completed" and "failed" not in statuses(placed)


def test_unknown_call_sid_is_stored_then_reconciled(client, webhook_path):
    response = client.post(webhook_path, terminal_callback("feedbeef99", "completed", duration=12))
    assert response.status_code == 200 and response.json()["result"] == "unmatched"
    stored = UnmatchedCallback.objects.get()
    assert stored.call_sid == "feedbeef99" and stored.status == "completed" and stored.payload["ConversationDuration"] == "12"
    # The session learns that sid later (e.g. our connect request stored it late).
    session = CallSessionFactory(status="initiated", call_sid="feedbeef99", initiated_at=timezone.now())
    assert reconcile_stuck_calls()["unmatched_applied"] == 1
    session.refresh_from_db()
    stored.refresh_from_db()
    assert session.status == "completed" and session.duration_seconds == 12
    assert stored.reconciled_session == session and stored.reconciled_at


def test_custom_field_alone_never_adopts_a_call(client, webhook_path):
    # (The simulator, the provider here, has no call "abc12345" either; the
    # fake-Exotel tests in test_unmatched_confirm.py cover the provider's side.)
    session = CallSessionFactory(status="scheduled")
    response = client.post(webhook_path, terminal_callback("abc12345", "busy", custom_field=str(session.pk)))
    assert response.json() == {"result": "unmatched", "call": None, "status": "busy"}
    session.refresh_from_db()
    assert session.call_sid is None and session.status == "scheduled" and not statuses(session)
    stored = UnmatchedCallback.objects.get()
    assert stored.reconciled_at is None and stored.reconciled_session is None
    assert not CommunicationLog.objects.exists()


@pytest.mark.parametrize("token", ["", "wrong", "test-webhook-token-5f1"])
def test_bad_token_is_refused(client, placed, token, caplog):
    with caplog.at_level(logging.WARNING, logger="calls.webhook"):
        response = client.post(f"/api/v1/calls/webhooks/exotel/?token={token}", terminal_callback("c0ffee01"))
    assert response.status_code == 403
    assert "bad token" in caplog.text
    placed.refresh_from_db()
    assert placed.status == "initiated" and not statuses(placed)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"Status": "completed"},
        {"CallSid": "c0ffee01"},
        {"CallSid": "c0ffee01", "Status": "exploded"},
        {"CallSid": "c0ffee01", "Status": "completed", "DateUpdated": "yesterday-ish"},
        {"CallSid": "c0ffee01", "Status": "completed", "ConversationDuration": "ten"},
        {"CallSid": "c0 ffee'; DROP", "Status": "completed"},
    ],
)
def test_malformed_callback_is_refused_with_400_and_logged(client, webhook_path, placed, body, caplog):
    with caplog.at_level(logging.WARNING, logger="calls.webhook"):
        response = client.post(webhook_path, body)
    assert response.status_code == 400
    assert "malformed callback" in caplog.text
    placed.refresh_from_db()
    assert placed.status == "initiated" and not statuses(placed) and not UnmatchedCallback.objects.exists()


def test_unparseable_json_body_is_refused(client, webhook_path, placed):
    response = client.post(webhook_path, data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_json_body_is_accepted(client, webhook_path, placed):
    body = {**answered_callback("c0ffee01")}
    response = client.post(webhook_path, data=body, content_type="application/json")
    assert response.status_code == 200
    placed.refresh_from_db()
    assert placed.status == "in-progress"
