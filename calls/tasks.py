"""Celery tasks: thin wrappers that load by id and call a service.

Retries of the provider are not Celery retries: a failed attempt moves the
session's ``scheduled_for`` (Retry-After or backoff) and the task re-enqueues
itself for that time. The session row is the source of truth, so even a
lost task is picked up again by ``dispatch_scheduled_calls`` on beat.

The names are explicit because services, the simulator and the beat
schedule queue these tasks by name (``core.tasks.enqueue_task``), and
messages already in the queue carry them.
"""
from __future__ import annotations

import logging

from celery import current_app, shared_task
from django.conf import settings

from calls import selectors, services

log = logging.getLogger("calls")

# Seconds between the simulator's callbacks, as a real call would space them.
SIMULATED_CALLBACK_INTERVAL_SECONDS = 8


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


@shared_task(name="calls.tasks.dispatch_call", ignore_result=True)
def dispatch_call(session_id: int) -> str:
    result = services.call_session_dispatch(session_id=session_id)
    # In eager mode apply_async would run at once and ignore the wait; there
    # the next dispatcher run (or ``manage.py dispatch_calls``) places it.
    if result.outcome == "deferred" and result.retry_at and not _eager():
        dispatch_call.apply_async((session_id,), eta=result.retry_at)
    return result.outcome


@shared_task(name="calls.tasks.dispatch_scheduled_calls", ignore_result=True)
def dispatch_scheduled_calls(limit: int | None = None) -> int:
    """Enqueue the calls that are due (beat, every minute). At most one
    minute's worth of the rate limit per run: more could not go out anyway."""
    limit = limit or settings.CALLS_RATE_LIMIT_PER_MINUTE
    ids = selectors.calls_due_for_dispatch(limit=limit)
    for session_id in ids:
        dispatch_call.delay(session_id)
    return len(ids)


@shared_task(name="calls.tasks.reconcile_call", ignore_result=True)
def reconcile_call(session_id: int) -> str:
    return services.call_session_reconcile(session_id=session_id)


@shared_task(name="calls.tasks.reconcile_stuck_calls", ignore_result=True)
def reconcile_stuck_calls(limit: int = 200) -> dict:
    """Beat: apply stored unknown-CallSid callbacks whose call we now know,
    then ask the provider about calls whose callbacks never came."""
    applied = services.unmatched_callbacks_reconcile()
    ids = selectors.calls_stuck(limit=limit)
    for session_id in ids:
        reconcile_call.delay(session_id)
    return {"unmatched_applied": applied, "stuck": len(ids)}


@shared_task(name="calls.tasks.confirm_unmatched_callback", ignore_result=True)
def confirm_unmatched_callback(callback_id: int) -> str:
    """Ask the provider whether a stored unknown-CallSid callback is the call its CustomField names."""
    return services.unmatched_callback_confirm(callback_id=callback_id)


@shared_task(name="calls.tasks.simulate_call_lifecycle", ignore_result=True)
def simulate_call_lifecycle(session_id: int, step: int = 0) -> None:
    """The simulator's callbacks, one per step, through the webhook's service."""
    if services.call_simulation_play_step(session_id=session_id, step=step):
        simulate_call_lifecycle.apply_async((session_id, step + 1), countdown=SIMULATED_CALLBACK_INTERVAL_SECONDS)
