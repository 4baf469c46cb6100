"""One rate limit for calls placed, shared by every worker.

Exotel allows a fixed number of API requests a minute per account; Celery's
own ``rate_limit`` is per worker, so N workers would send N times too many.
The bucket lives in Redis (``REDIS_URL``, else a Redis ``CELERY_BROKER_URL``)
and is refilled by a Lua script that uses Redis' clock, so workers on
machines with skewed clocks still share one budget. Without Redis (eager
development mode) an in-process bucket does the same job for one process.
"""
from __future__ import annotations

import threading
import time

import redis
from django.conf import settings

BUCKET_KEY = "creditdesk:calls:ratelimit"

# KEYS[1] bucket; ARGV: refill per ms, capacity. Returns {granted, wait_ms}.
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then tokens = cap; ts = now end
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
local granted = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  granted = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 1000)
return {granted, wait}
"""


def default_burst(per_minute: int) -> int:
    # A small burst keeps any 60-second window close to the provider's limit
    # (at most burst + per_minute requests), while a few calls can go at once.
    return max(1, per_minute // 20)


class RedisTokenBucket:
    def __init__(self, client, *, per_minute: int, burst: int | None = None, key: str = BUCKET_KEY):
        self.client = client
        self.key = key
        self.per_minute = per_minute
        self.burst = burst or default_burst(per_minute)
        self._script = client.register_script(_LUA)

    def try_acquire(self) -> float:
        """Take a token: 0.0 if granted, else seconds until one is due."""
        granted, wait_ms = self._script(keys=[self.key], args=[self.per_minute / 60000.0, self.burst])
        return 0.0 if int(granted) else max(int(wait_ms), 1) / 1000.0

    def acquire(self, *, max_wait: float = 0.0) -> float:
        """Wait up to ``max_wait`` seconds for a token. Returns 0.0 when one
        was taken, else the seconds still to wait (the caller defers)."""
        deadline = time.monotonic() + max_wait
        while True:
            wait = self.try_acquire()
            if wait == 0.0:
                return 0.0
            remaining = deadline - time.monotonic()
            if wait > remaining:
                return wait
            time.sleep(wait)


class LocalTokenBucket:
    """The same bucket for one process (no Redis configured)."""

    def __init__(self, *, per_minute: int, burst: int | None = None):
        self.per_minute = per_minute
        self.burst = burst or default_burst(per_minute)
        self._tokens = float(self.burst)
        self._ts = time.monotonic()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        with self._lock:
            now = time.monotonic()
            rate = self.per_minute / 60.0
            self._tokens = min(self.burst, self._tokens + (now - self._ts) * rate)
            self._ts = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / rate

    acquire = RedisTokenBucket.acquire


_local: dict[tuple, LocalTokenBucket] = {}
_local_lock = threading.Lock()


def redis_url() -> str | None:
    url = settings.REDIS_URL
    if url:
        return url
    broker = settings.CELERY_BROKER_URL or ""
    return broker if broker.startswith(("redis://", "rediss://", "unix://")) else None


def get_call_limiter():
    """The limiter every call placement goes through."""
    per_minute = settings.CALLS_RATE_LIMIT_PER_MINUTE
    burst = settings.CALLS_RATE_LIMIT_BURST
    url = redis_url()
    if url:
        return RedisTokenBucket(_redis_client(url), per_minute=per_minute, burst=burst)
    key = (per_minute, burst)
    with _local_lock:
        if key not in _local:
            _local[key] = LocalTokenBucket(per_minute=per_minute, burst=burst)
        return _local[key]


_clients: dict[str, object] = {}


def _redis_client(url: str):
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return client
