"""Queueing Celery work from services, safely.

Work is queued only once the transaction that recorded it commits (a worker
must find the row). If the broker is down at that moment the job row is
already saved: the failure is logged, ``on_failure`` can note it on the row,
and the scheduled "resume stalled work" tasks queue it again once the broker
is back. The request that recorded the work still succeeds — the work is
late, never lost.
"""
from __future__ import annotations

import logging
from typing import Callable

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What a publish raises when Redis/RabbitMQ cannot be reached.
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, TimeoutError)


def enqueue(task, *args, on_failure: Callable[[BaseException], None] | None = None, **kwargs) -> bool:
    """Send ``task`` now; return False (and call ``on_failure``) if the broker is unreachable."""
    if task.app.conf.task_always_eager:
        # No broker: the task runs here and now, and its own errors must
        # surface as themselves, not as "queue unavailable".
        task.apply_async(args=args, kwargs=kwargs or None)
        return True
    try:
        task.apply_async(args=args, kwargs=kwargs or None)
    except BROKER_ERRORS as exc:
        logger.warning("task queue unavailable: %s%r not queued (%s); it is picked up again when the queue is back", task.name, args, exc)
        if on_failure is not None:
            on_failure(exc)
        return False
    return True


def enqueue_on_commit(task, *args, on_failure: Callable[[BaseException], None] | None = None, **kwargs) -> None:
    """``enqueue`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, on_failure=on_failure, **kwargs))
