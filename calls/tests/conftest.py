import pytest
import redis

from calls.ratelimit import BUCKET_KEY
from calls.tests.fake_exotel import API_KEY, API_TOKEN, SID, FakeExotel

REDIS_TEST_URL = "redis://127.0.0.1:6379/7"
WEBHOOK_TOKEN = "test-webhook-token-5f1c"


@pytest.fixture
def redis_bucket():
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.delete(BUCKET_KEY)
    yield client
    client.delete(BUCKET_KEY)


@pytest.fixture(autouse=True)
def call_settings(settings, redis_bucket):
    """Every calls test: calling hours always open, a generous shared rate
    limit in Redis DB 7, a known webhook token."""
    settings.CALLING_HOURS = "00:00-24:00"
    settings.REDIS_URL = REDIS_TEST_URL
    settings.CALLS_RATE_LIMIT_PER_MINUTE = 6000
    settings.CALLS_MAX_ATTEMPTS_PER_DAY = 3
    settings.EXOTEL_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    settings.TELEPHONY_PROVIDER = "simulator"
    return settings


@pytest.fixture
def fake_exotel(settings):
    fake = FakeExotel().start()
    settings.TELEPHONY_PROVIDER = "exotel"
    settings.EXOTEL_BASE_URL = fake.base_url
    settings.EXOTEL_SID = SID
    settings.EXOTEL_API_KEY = API_KEY
    settings.EXOTEL_API_TOKEN = API_TOKEN
    settings.EXOTEL_CALLER_ID = "08047112345"
    settings.EXOTEL_FLOW_URL = f"http://my.exotel.com/{SID}/exoml/start_voice/926"
    settings.PUBLIC_BASE_URL = "https://creditdesk.example.com"
    yield fake
    fake.stop()


@pytest.fixture
def webhook_path():
    return f"/api/v1/calls/webhooks/exotel/?token={WEBHOOK_TOKEN}"
