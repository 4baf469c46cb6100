"""The Exotel client and callback parser against Exotel's documented shapes."""
import json
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from calls.telephony import ProviderRateLimited, ProviderRejected, ProviderUnavailable
from calls.telephony.base import PlaceCallRequest
from calls.telephony.exotel import ExotelProvider, MalformedCallback, flatten_form, parse_status_callback
from calls.tests.fake_exotel import Scripted

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "exotel"


def _request():
    return PlaceCallRequest(session_id=7, customer_number="+256700000001", status_callback_url="https://x.example/cb")


def test_retry_after_as_http_date(fake_exotel):
    fake_exotel.script.append(Scripted(429, headers={"Retry-After": formatdate(time.time() + 120, usegmt=True)}))
    with pytest.raises(ProviderRateLimited) as exc:
        ExotelProvider.from_settings().place_call(_request())
    assert 110 <= exc.value.retry_after <= 121


@pytest.mark.parametrize("status,error", [(500, ProviderUnavailable), (502, ProviderUnavailable), (403, ProviderRejected), (401, ProviderRejected)])
def test_error_classes(fake_exotel, status, error):
    fake_exotel.script.append(Scripted(status))
    with pytest.raises(error):
        ExotelProvider.from_settings().place_call(_request())


def test_wrong_credentials_are_a_4xx(fake_exotel, settings):
    settings.EXOTEL_API_TOKEN = "nope"
    with pytest.raises(ProviderRejected) as exc:
        ExotelProvider.from_settings().place_call(_request())
    assert exc.value.status_code == 401 and "Authentication" in str(exc.value)


def test_connection_refused_is_retryable(settings):
    settings.EXOTEL_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.EXOTEL_SID, settings.EXOTEL_API_KEY, settings.EXOTEL_API_TOKEN = "s", "k", "t"
    settings.EXOTEL_FLOW_URL = "http://my.exotel.com/s/exoml/start_voice/1"
    with pytest.raises(ProviderUnavailable):
        ExotelProvider.from_settings().place_call(_request())


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_sample_callbacks_parse(name):
    sample = json.loads((FIXTURES / name).read_text())
    event = parse_status_callback(flatten_form(sample["body"]))
    assert event.status == sample["expect_status"]
    assert event.call_sid == sample["body"]["CallSid"]


def test_legs_in_bracket_form_become_a_list():
    flat = flatten_form({"CallSid": "a", "Legs[1][Status]": "busy", "Legs[0][Status]": "completed", "Legs[0][OnCallDuration]": "4"})
    assert flat["Legs"] == [{"Status": "completed", "OnCallDuration": "4"}, {"Status": "busy"}]


def test_negative_duration_is_malformed():
    with pytest.raises(MalformedCallback):
        parse_status_callback({"CallSid": "a", "Status": "completed", "ConversationDuration": "-3"})
