"""Redis stops while the web app runs: uploads are still accepted (the job
row is saved and says it is waiting), and the queued work runs once Redis is
back — nothing is lost silently."""
import shutil
import socket
import subprocess
import time

import pytest
from django.urls import reverse

from config.celery import app
from tests.e2e.conftest import Worker, _reset_pools, wait_until
from uploads.models import FileUpload
from uploads.tasks import resume_stalled_uploads

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port (the shared
    one must keep running for everyone else)."""

    def __init__(self, port: int, folder):
        self.port, self.folder, self.proc = port, folder, None

    def start(self):
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self._answers(), timeout=20, message="redis-server to start")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis(_free_port(), tmp_path).start()
    yield redis
    redis.stop()


def test_uploads_are_accepted_while_redis_is_down_and_run_when_it_returns(ops_client, worker_env, private_redis, settings, tmp_path):
    broker = f"redis://127.0.0.1:{private_redis.port}/0"
    settings.CELERY_BROKER_URL = broker
    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_connection_timeout)
    app.conf.update(task_always_eager=False, broker_url=broker, broker_connection_timeout=2)
    _reset_pools(app)
    worker = Worker({**worker_env, "CELERY_BROKER_URL": broker}, tmp_path / "worker.log").start()
    try:
        private_redis.stop()

        book = tmp_path / "book.csv"
        with book.open("w") as handle:
            handle.write("name,phone,loan_id,amount,due_date\nSarah Nakato,0772123456,OUT-1,250000,2024-01-15\n"
                         "James Okello,0772654321,OUT-2,125000,2024-02-15\n")
        started = time.monotonic()
        with book.open("rb") as handle:
            response = ops_client.post(reverse("api:upload-list"), {"file": handle}, format="multipart")
        assert response.status_code == 202, response.content
        assert time.monotonic() - started < 15  # the request does not hang on the dead broker
        upload = FileUpload.objects.get(pk=response.json()["id"])
        assert upload.status == "pending"
        assert "queue" in upload.processing_errors.lower()  # the job says why it waits

        private_redis.start()
        _reset_pools(app)
        resume_stalled_uploads.delay(0)  # what beat sends every few minutes
        done = wait_until(
            lambda: FileUpload.objects.filter(pk=upload.pk, status="completed").first(),
            timeout=120,
            message="the upload to be processed once Redis is back",
        )
        assert (done.total_records, done.success_records) == (2, 2)
    finally:
        worker.stop()
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_connection_timeout = previous
        _reset_pools(app)
