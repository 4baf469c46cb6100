"""Real services for end-to-end tests: a Celery worker process on the local
Redis broker, against the same MariaDB test database, and a fake Exotel on
loopback that speaks Exotel's HTTP API and posts callbacks to our live
server's webhook."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from kombu import pools

from calls.tests import fake_exotel as fx
from calls.tests.fake_exotel import FakeExotel
from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
BROKER_DB = int(os.environ.get("E2E_REDIS_DB", "12"))
BROKER_URL = f"redis://127.0.0.1:6379/{BROKER_DB}"
LIMITER_URL = f"redis://127.0.0.1:6379/{BROKER_DB + 1}"
WEBHOOK_TOKEN = "e2e-webhook-token"


def _redis_or_skip():
    try:
        client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # a machine without Redis cannot run these
        pytest.skip(f"needs Redis on 127.0.0.1:6379 ({exc})")
    return client


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"mysql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"


class Worker:
    """``celery -A config worker`` as a child process; stop() or kill() it."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Worker:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--pool=prefork",
             "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"e2e-{os.getpid()}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text(errors="replace"):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited at start:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready after {timeout}s:\n{self.log_path.read_text(errors='replace')[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and pool child): a crash, not a shutdown."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def fake_exotel():
    fake = FakeExotel().start()
    yield fake
    fake.stop()


def _reset_pools(app) -> None:
    # The connection and producer pools are built from broker_url on first
    # use and cached by kombu per URL; drop them all so the next send uses
    # the broker configured now (and later tests get fresh pools, not
    # closed ones).
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """Send tasks to the real Redis broker instead of running them eagerly."""
    client = _redis_or_skip()
    client.flushdb()
    redis_limiter = redis.Redis.from_url(LIMITER_URL)
    redis_limiter.flushdb()
    settings.CELERY_BROKER_URL = BROKER_URL
    settings.REDIS_URL = LIMITER_URL
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER_URL
    _reset_pools(app)
    yield client
    app.conf.task_always_eager, app.conf.broker_url = previous
    _reset_pools(app)
    client.flushdb()


@pytest.fixture
def worker_env(live_server, fake_exotel, settings, tmp_path):
    """The environment a worker (and our own process) share for the run."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    overrides = {
        "TELEPHONY_PROVIDER": "exotel",
        "EXOTEL_SID": fx.SID,
        "EXOTEL_API_KEY": fx.API_KEY,
        "EXOTEL_API_TOKEN": fx.API_TOKEN,
        "EXOTEL_BASE_URL": fake_exotel.base_url,
        "EXOTEL_CALLER_ID": "+256312000000",
        "EXOTEL_FLOW_URL": "http://my.exotel.com/creditdesk1/exoml/start_voice/1",
        "EXOTEL_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "PUBLIC_BASE_URL": live_server.url,
        "CALLING_HOURS": "00:00-23:59",
    }
    for key, value in overrides.items():
        setattr(settings, key, value)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        **overrides,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "REDIS_URL": LIMITER_URL,
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "INFO",
    }
    env.pop("TEST_DB_NAME", None)
    return env


@pytest.fixture
def celery_worker(broker, worker_env, tmp_path):
    worker = Worker(worker_env, tmp_path / "worker.log").start()
    yield worker
    worker.stop()


def wait_until(predicate, *, timeout: float = 90, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
