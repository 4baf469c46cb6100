"""Hostile bodies at Exotel's webhook: a 400, 413 or 429 with a message,
never a 500; what is stored of a callback is bounded; callbacks for unknown
CallSids are throttled (EXOTEL_UNKNOWN_SID_THROTTLE), known calls are not."""
import copy
import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from calls.models import CallSession, CallStatusUpdate, UnmatchedCallback
from calls.tests.factories import CallSessionFactory
from calls.tests.fake_exotel import terminal_callback

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def _rates(**rates):
    config = copy.deepcopy(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"].update(rates)
    return override_settings(REST_FRAMEWORK=config)


@pytest.mark.parametrize("body", ['"abc"', "5", "null", "[1, 2]", "true", '{"CallSid": {"x": 1}}', "{", "\x00\xff"])
def test_a_json_body_that_is_not_a_set_of_fields_is_a_400(client, webhook_path, body):
    response = client.post(webhook_path, data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("Malformed callback")
    assert not UnmatchedCallback.objects.exists()


@pytest.mark.parametrize("duration", ["inf", "-inf", "nan", "Infinity", "1e400", "99999999999", "abc"])
def test_a_duration_that_is_not_a_finite_call_length_is_a_400(client, webhook_path, duration):
    body = {**terminal_callback("c0ffee77"), "ConversationDuration": duration}
    response = client.post(webhook_path, data=urlencode(body), content_type=FORM)
    assert response.status_code == 400, response.content
    assert "ConversationDuration" in response.json()["detail"]


def test_a_9_mb_field_is_refused_before_it_is_read(client, webhook_path):
    body = {**terminal_callback("c0ffee78"), "Direction": "x" * (9 * 1024 * 1024)}
    response = client.post(webhook_path, data=urlencode(body), content_type=FORM)
    assert response.status_code == 413
    assert "EXOTEL_WEBHOOK_MAX_BODY_BYTES" in response.json()["detail"]
    assert not UnmatchedCallback.objects.exists()


def test_long_fields_under_the_body_limit_are_stored_cut(client, webhook_path):
    limit = settings.EXOTEL_CALLBACK_MAX_FIELD_LENGTH
    body = {**terminal_callback("c0ffee79"), "Direction": "y" * 40_000, **{f"Extra{n}": "z" for n in range(300)}}
    response = client.post(webhook_path, data=urlencode(body), content_type=FORM)
    assert response.status_code == 200 and response.json()["result"] == "unmatched"
    stored = UnmatchedCallback.objects.get().payload
    assert len(stored["Direction"]) == limit
    assert len(stored) <= 100
    assert len(json.dumps(stored)) < 100 * (limit + 100)


def test_deep_json_is_a_400(client, webhook_path):
    body = "[" * 30_000 + "]" * 30_000  # under the webhook's 64 KB body limit
    response = client.post(webhook_path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_unknown_call_sids_are_throttled_and_known_calls_are_not(client, webhook_path):
    session = CallSessionFactory(status="initiated", call_sid="known0001", initiated_at=timezone.now())
    with _rates(webhook_unknown_sid="3/min"):
        codes = [
            client.post(webhook_path, data=urlencode(terminal_callback(f"unknown{n:04d}", "busy")), content_type=FORM).status_code
            for n in range(6)
        ]
        assert codes == [200, 200, 200, 429, 429, 429]
        assert UnmatchedCallback.objects.count() == 3
        refused = client.post(webhook_path, data=urlencode(terminal_callback("unknown9999", "busy")), content_type=FORM)
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
        assert "unknown calls" in refused.json()["detail"]
        # A repeat of a stored unknown callback costs nothing more.
        again = client.post(webhook_path, data=urlencode(terminal_callback("unknown0000", "busy")), content_type=FORM)
        assert again.status_code == 200 and again.json()["result"] == "unmatched"
        # The call we placed is still heard.
        known = client.post(webhook_path, data=urlencode(terminal_callback("known0001", "completed")), content_type=FORM)
        assert known.status_code == 200 and known.json()["result"] == "applied"
    assert CallSession.objects.get(pk=session.pk).status == "completed"
    assert CallStatusUpdate.objects.filter(call_session=session).count() == 1
    assert UnmatchedCallback.objects.count() == 3


def test_a_bad_token_is_refused_before_anything_is_read(client):
    response = client.post("/api/v1/calls/webhooks/exotel/?token=wrong", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 403
