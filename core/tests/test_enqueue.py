"""With the broker down, queueing work fails softly: logged, noted, not raised."""
import pytest
from celery import shared_task

from config.celery import app
from core.tasks import enqueue, enqueue_task
from tests.e2e.conftest import _reset_pools


@shared_task(name="core.tests.noop")
def noop(x):
    return x


def test_broker_down_is_reported_not_raised(settings, caplog):
    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_connection_timeout)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.conf.broker_connection_timeout = 1
    app.conf.task_publish_retry = False
    _reset_pools(app)
    failures = []
    try:
        assert enqueue(noop, 1, on_failure=failures.append) is False
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_connection_timeout = previous
        app.conf.task_publish_retry = True
        _reset_pools(app)
    assert len(failures) == 1
    assert "task queue unavailable" in caplog.text


def test_eager_mode_runs_the_task_and_lets_its_errors_through(settings):
    assert enqueue(noop, 2) is True


@shared_task(name="core.tests.times_out")
def times_out():
    raise TimeoutError("the telephony provider did not answer")


def test_eager_task_errors_are_not_mistaken_for_a_broker_outage():
    with pytest.raises(TimeoutError, match="did not answer"):
        enqueue(times_out)


def test_a_task_is_queued_by_its_registered_name():
    assert enqueue_task("core.tests.noop", 3, on_commit=False) is True


def test_queued_by_name_after_commit(django_capture_on_commit_callbacks, db):
    with django_capture_on_commit_callbacks() as callbacks:
        assert enqueue_task("core.tests.noop", 4) is None
    assert len(callbacks) == 1


def test_an_unknown_task_name_fails_in_the_caller():
    with pytest.raises(LookupError, match="no.such.task"):
        enqueue_task("no.such.task", on_commit=False)
