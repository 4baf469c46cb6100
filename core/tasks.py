"""Queueing Celery work from services, safely.

Work is queued only once the transaction that recorded it commits (a worker
must find the row). If the broker is down at that moment the job row is
already saved: the failure is logged, ``on_failure`` can note it on the row,
and the scheduled "resume stalled work" tasks queue it again once the broker
is back. The request that recorded the work still succeeds — the work is
late, never lost.

Services name the task they queue (``enqueue_task("calls.tasks.dispatch_call",
session_id)``) instead of importing it, so an app's ``tasks.py`` imports its
services and never the reverse.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import current_app
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


def registered_task(name: str) -> Any:
    """The task registered as ``name`` in the current Celery app.

    Looked up in the app's registry rather than sent with ``send_task`` so
    eager mode (no broker) still runs it in-process. A web process never
    runs the worker's autodiscovery, so a task whose module nobody imported
    yet is found by importing every app's ``tasks`` module once.
    """
    app = current_app
    if name not in app.tasks:
        app.loader.import_default_modules()
    try:
        return app.tasks[name]
    except KeyError:
        raise LookupError(f"no Celery task is registered as {name!r}") from None


def enqueue_task(
    name: str,
    *args: Any,
    on_commit: bool = True,
    on_failure: Callable[[BaseException], None] | None = None,
    **kwargs: Any,
) -> bool | None:
    """Queue the task registered as ``name`` with ``args``/``kwargs``.

    With ``on_commit`` (the default) it is sent once the current transaction
    commits (at once outside one) and None is returned; otherwise it is sent
    now and the result of ``enqueue`` is returned. Broker outages are handled
    as ``enqueue`` handles them. The name is resolved here, before any
    commit, so a misspelt one raises ``LookupError`` in the caller.
    """
    task = registered_task(name)
    if on_commit:
        transaction.on_commit(lambda: enqueue(task, *args, on_failure=on_failure, **kwargs))
        return None
    return enqueue(task, *args, on_failure=on_failure, **kwargs)
