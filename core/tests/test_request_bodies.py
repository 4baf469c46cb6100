"""Request bodies: deep, malformed or oversized JSON and form bodies are a
400 (or a 413) with a message, never a 500; and the API throttles per user
and per anonymous client (rates from settings)."""
import copy

import pytest
from django.conf import settings
from django.test import override_settings

from core.api.parsers import json_depth_exceeds

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/"


def _rates(**rates):
    config = copy.deepcopy(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"].update(rates)
    return override_settings(REST_FRAMEWORK=config)


def test_100k_deep_json_is_a_400(ops_client):
    body = "[" * 100_000 + "]" * 100_000
    response = ops_client.post(API, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_json_deeper_than_the_setting_is_a_400(ops_client, settings):
    settings.API_JSON_MAX_DEPTH = 5
    deep = {"full_name": "A", "notes": [[[[["x"]]]]]}
    response = ops_client.post(API, data=deep, format="json")
    assert response.status_code == 400
    assert "API_JSON_MAX_DEPTH" in response.json()["detail"]


def test_json_within_the_depth_is_read(ops_client):
    response = ops_client.post(API, data={"full_name": "Nakato Sarah", "primary_phone": "+256706015809"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    ['{"full_name": ', "{'a': 1}", '{"a": NaN}', '{"a": Infinity}', b"\xff\xfe\x00garbage", "", "[1, 2,]"],
)
def test_malformed_json_is_a_400(ops_client, body):
    response = ops_client.post(API, data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()


def test_a_form_body_with_too_many_fields_is_a_400(ops_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    body = "&".join(f"f{n}=1" for n in range(200))
    response = ops_client.post(API, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["detail"]


def test_a_malformed_multipart_body_is_a_400(ops_client):
    response = ops_client.post(API, data=b"--nope\r\nContent-Disposition: form-data\r\n", content_type="multipart/form-data; boundary=")
    assert response.status_code == 400


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_size_limit_is_a_413(ops_client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"notes": "' + "x" * 20_000 + '"}' if content_type == "application/json" else "notes=" + "x" * 20_000
    response = ops_client.post(API, data=body, content_type=content_type)
    assert response.status_code == 413
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.json()["detail"]


def test_depth_check_is_iterative():
    value: list = []
    for _ in range(5000):
        value = [value]
    assert json_depth_exceeds(value, 32)
    assert not json_depth_exceeds({"a": [1, {"b": 2}]}, 3)
    assert json_depth_exceeds({"a": [1, {"b": [3]}]}, 3)


def test_each_user_is_throttled_at_the_user_rate(reader_client, agent_client):
    with _rates(user="3/min"):
        codes = [reader_client.get(API).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = reader_client.get(API)
        assert int(refused["Retry-After"]) > 0
        # Another user has a budget of their own.
        assert agent_client.get(API).status_code == 200


def test_anonymous_clients_are_throttled_at_the_anon_rate(client):
    with _rates(anon="2/min"):
        codes = [client.get("/api/docs/").status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_throttle_rates_come_from_the_environment():
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert {"anon", "user", "identifier_lookup", "webhook_unknown_sid"} <= set(rates)
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
