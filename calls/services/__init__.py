"""Writes to call sessions and their status history.

Every path that schedules, places or updates a call — admin actions, API
views, Celery tasks, the webhook, management commands — calls a function
here. The rules they keep:

* A session's status only moves forward (``CALL_STATUS_RANK``); a late or
  repeated callback never moves a finished call back. Every row change
  happens under ``select_for_update`` on the session.
* Each status is recorded once per call. Callbacks for one call serialise
  on the session's row lock; the unique (call_session, status) constraint
  is the last word even so, written as ``INSERT IGNORE`` so a losing insert
  neither adds a row nor aborts the transaction (one round trip, where
  catching ``IntegrityError`` would need a savepoint and two more).
* A session stays ``scheduled`` until the provider has accepted it; the
  ``dispatch_claimed_until`` lease stops two workers dialling it at once.
* A call that reached the provider and finished writes exactly one
  CommunicationLog (``debts.services.communication_log_create``), which also
  moves the customer's ``last_contact_date``.

The package is split by stage: ``sessions`` (scheduling, canceling),
``dispatch`` (placing through the provider), ``callbacks`` (status webhooks
and the simulator's), ``reconcile`` (late or lost callbacks), and
``events`` (the status history all of them write). Work is queued by task
name through ``core.tasks``, so ``calls.tasks`` imports this package and
never the reverse. Callers import from here (``from calls import
services``), not from the modules.
"""
from __future__ import annotations

from calls.services.callbacks import CallbackResult, UnmatchedCallbackRefused, call_callback_receive, call_simulation_play_step
from calls.services.dispatch import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    DISPATCH_CLAIM_SECONDS,
    MAX_PLACE_ATTEMPTS,
    RATE_LIMIT_MAX_WAIT_SECONDS,
    DispatchResult,
    call_session_dispatch,
    webhook_url,
)
from calls.services.reconcile import call_session_reconcile, unmatched_callback_confirm, unmatched_callbacks_reconcile
from calls.services.sessions import (
    MAX_BATCH_SIZE,
    OPEN_CALL_STATUSES,
    BatchResult,
    CallNotAllowed,
    CallTarget,
    agent_number_refusal,
    allowed_agent_number,
    call_session_cancel,
    call_session_create,
    call_sessions_create_batch,
    call_sessions_create_for_upload,
)

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "DISPATCH_CLAIM_SECONDS",
    "MAX_BATCH_SIZE",
    "MAX_PLACE_ATTEMPTS",
    "OPEN_CALL_STATUSES",
    "RATE_LIMIT_MAX_WAIT_SECONDS",
    "BatchResult",
    "CallNotAllowed",
    "CallTarget",
    "CallbackResult",
    "DispatchResult",
    "UnmatchedCallbackRefused",
    "agent_number_refusal",
    "allowed_agent_number",
    "call_callback_receive",
    "call_session_cancel",
    "call_session_create",
    "call_session_dispatch",
    "call_session_reconcile",
    "call_sessions_create_batch",
    "call_sessions_create_for_upload",
    "call_simulation_play_step",
    "unmatched_callback_confirm",
    "unmatched_callbacks_reconcile",
    "webhook_url",
]
