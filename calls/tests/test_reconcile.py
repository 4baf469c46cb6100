"""Reconciliation: ask Exotel's call-details API about calls whose callbacks
never came."""
from datetime import timedelta

import pytest
from django.utils import timezone

from calls import selectors
from calls.models import CallSession
from calls.tasks import reconcile_stuck_calls
from calls.tests.factories import CallSessionFactory
from calls.tests.fake_exotel import SID
from debts.models import CommunicationLog

pytestmark = pytest.mark.django_db


def _age(session, minutes):
    CallSession.objects.filter(pk=session.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_stuck_call_is_finished_from_call_details(fake_exotel):
    stuck = CallSessionFactory(status="in-progress", call_sid="d1e2a3d4", initiated_at=timezone.now() - timedelta(hours=1))
    fresh = CallSessionFactory(status="ringing", call_sid="f2e3s4h5")
    _age(stuck, 60)
    fake_exotel.calls["d1e2a3d4"] = {
        "Sid": "d1e2a3d4", "Status": "completed", "DateUpdated": "2026-11-22 10:10:00", "EndTime": "2026-11-22 10:10:00",
        "RecordingUrl": "https://recordings.exotel.com/d1.mp3", "Details": {"ConversationDuration": 88, "Legs": [{"Leg": {"Id": 1, "OnCallDuration": 95}}]},
    }
    assert selectors.calls_stuck() == [stuck.pk]
    result = reconcile_stuck_calls()
    assert result["stuck"] == 1
    [request] = [r for r in fake_exotel.requests if r.method == "GET"]
    assert request.path == f"/v1/Accounts/{SID}/Calls/d1e2a3d4.json" and request.query == {"details": "true"}
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == "completed" and stuck.duration_seconds == 88 and stuck.recording_url.endswith("d1.mp3")
    assert fresh.status == "ringing"
    assert CommunicationLog.objects.get(call_session=stuck).outcome == "connected"


def test_call_still_in_progress_at_exotel_is_left_alone(fake_exotel):
    stuck = CallSessionFactory(status="initiated", call_sid="a1b2c3d4")
    _age(stuck, 60)
    fake_exotel.calls["a1b2c3d4"] = {"Sid": "a1b2c3d4", "Status": "in-progress", "DateUpdated": "2026-11-22 10:10:00"}
    reconcile_stuck_calls()
    stuck.refresh_from_db()
    assert stuck.status == "in-progress"


def test_call_exotel_does_not_know_is_failed(fake_exotel):
    stuck = CallSessionFactory(status="initiated", call_sid="0bad0bad")
    _age(stuck, 60)
    reconcile_stuck_calls()
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "no record" in stuck.error_message
    assert not CommunicationLog.objects.filter(call_session=stuck, outcome="connected").exists()
