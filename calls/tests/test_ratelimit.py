"""One rate limit shared by every worker process (Redis token bucket)."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from calls.ratelimit import BUCKET_KEY, LocalTokenBucket, RedisTokenBucket, get_call_limiter
from calls.tests.conftest import REDIS_TEST_URL

ROOT = Path(__file__).resolve().parents[2]

# A worker: takes tokens from the shared limiter for ``seconds`` and prints
# the times it got one.
WORKER = """
import json, os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from calls.ratelimit import get_call_limiter
limiter = get_call_limiter()
print("ready", flush=True)  # Django is up: wait for the common start time
start_at = float(sys.stdin.readline()); seconds = float(sys.argv[1])
while time.time() < start_at:
    time.sleep(0.005)
got = []
while time.time() < start_at + seconds:
    if limiter.acquire(max_wait=0.5) == 0.0:
        got.append(time.time())
print(json.dumps({"type": type(limiter).__name__, "got": got}))
"""


def test_two_worker_processes_share_one_budget(redis_bucket):
    env = {**os.environ, "REDIS_URL": REDIS_TEST_URL, "CALLS_RATE_LIMIT_PER_MINUTE": "120", "PYTHONPATH": str(ROOT)}
    env.pop("CELERY_BROKER_URL", None)
    seconds = 3.0
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(seconds)], env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    # Both start drawing at the same moment, however long each took to start
    # Django (a fixed 2 s window let a slow start miss the whole run: [12, 0]).
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    start_at = time.time() + 0.3
    for proc in procs:
        proc.stdin.write(f"{start_at}\n")
        proc.stdin.flush()
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert [r["type"] for r in results] == ["RedisTokenBucket", "RedisTokenBucket"]
    counts = [len(r["got"]) for r in results]
    # 120/min is 2 a second with a burst of 6: over 3 s both workers together
    # may get at most 6 + 2 × 3 = 12 (+1 for timing at the edges). Each alone
    # would have got up to 12, so without the shared bucket the sum is ~24.
    assert sum(counts) <= 13, counts
    assert sum(counts) >= 6, counts  # at least the burst, even on a starved machine
    assert all(c >= 1 for c in counts), counts  # both really drew from it


def test_without_redis_the_limiter_is_in_process(settings):
    settings.REDIS_URL = None
    settings.CELERY_BROKER_URL = None
    settings.CALLS_RATE_LIMIT_PER_MINUTE = 60
    limiter = get_call_limiter()
    assert isinstance(limiter, LocalTokenBucket)
    assert [limiter.try_acquire() == 0.0 for _ in range(4)] == [True, True, True, False]  # burst of 3
    assert 0.5 < limiter.try_acquire() <= 1.0  # one a second


def test_bucket_refills_at_the_configured_rate(redis_bucket):
    bucket = RedisTokenBucket(redis_bucket, per_minute=600, burst=2, key=BUCKET_KEY)
    assert bucket.try_acquire() == 0.0 and bucket.try_acquire() == 0.0
    wait = bucket.try_acquire()
    assert 0 < wait <= 0.1
    time.sleep(wait + 0.02)
    assert bucket.try_acquire() == 0.0
