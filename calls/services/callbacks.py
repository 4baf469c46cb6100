"""The provider's status callbacks (Exotel's webhook, and the simulator
playing the same callbacks): each one appended once, the session moved
forward, never backward.

Callbacks for one call serialise on the session's row lock; the unique
(call_session, status) constraint is the last word even so (see
``events._record_update``). A callback for a CallSid we do not know yet is
kept as an UnmatchedCallback and applied once the sid is known: from the
provider's answer to our connect request, or from the provider itself when
reconciliation asks it about that sid (``reconcile.unmatched_callback_confirm``).
Its CustomField alone never binds it to a session.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import OperationalError, transaction

from calls.choices import TelephonyProvider
from calls.models import CallSession, UnmatchedCallback
from calls.services.events import _apply_callback_event
from calls.telephony.exotel import CallbackEvent, flatten_form, parse_status_callback
from calls.telephony.simulator import simulated_callbacks
from core.tasks import enqueue_task

log = logging.getLogger("calls")

# MySQL's "deadlock found" and "lock wait timeout": the transaction is safe to run again.
_RETRYABLE_MYSQL_ERRORS = (1213, 1205)


@dataclass(frozen=True)
class CallbackResult:
    outcome: str  # applied | duplicate | late | unmatched
    session_id: int | None = None
    status: str = ""


class UnmatchedCallbackRefused(Exception):
    """A callback for an unknown CallSid arrived past the rate that may be
    stored (the webhook's throttle). Nothing was written; the sender retries."""


def _with_deadlock_retry(fn, attempts: int = 3):
    # Two calls of one customer finishing at the same instant both update
    # that customer's row; InnoDB may pick one as a deadlock victim. The
    # whole transaction is safe to run again.
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if attempt == attempts - 1 or not exc.args or exc.args[0] not in _RETRYABLE_MYSQL_ERRORS:
                raise
            log.info("deadlock applying a callback, retrying: %s", exc)


def call_callback_receive(
    *, payload, provider: str = TelephonyProvider.EXOTEL, may_store_unmatched: Callable[[], bool] | None = None
) -> CallbackResult:
    """Apply one status callback (a form body, flattened or not).

    Raises ``MalformedCallback`` when the body is not a callback we can act
    on. A callback for a CallSid we do not know is stored as an
    UnmatchedCallback for reconciliation, unless ``may_store_unmatched``
    (the webhook's throttle) says no: then ``UnmatchedCallbackRefused`` is
    raised and nothing is written.
    """
    data = flatten_form(payload)
    event = parse_status_callback(data)
    return _with_deadlock_retry(lambda: _callback_apply(event, provider, may_store_unmatched))


@transaction.atomic
def _callback_apply(event: CallbackEvent, provider: str, may_store_unmatched: Callable[[], bool] | None = None) -> CallbackResult:
    session = CallSession.objects.select_for_update().filter(call_sid=event.call_sid).first()
    if session is None:
        # Exotel can call back before our connect request has stored the sid
        # (or after that request timed out on our side). The CustomField in
        # the body names our session, but anyone with the webhook URL can
        # write it: the callback waits here until the sid is known from the
        # provider's connect answer or the provider confirms it.
        stored = UnmatchedCallback.objects.filter(
            call_sid=event.call_sid, status=event.provider_status, reconciled_at__isnull=True
        ).first()
        if stored is None:
            if may_store_unmatched is not None and not may_store_unmatched():
                raise UnmatchedCallbackRefused(event.call_sid)
            stored = UnmatchedCallback.objects.create(provider=provider, call_sid=event.call_sid, status=event.provider_status, payload=event.payload)
            if event.custom_field.isdigit() and CallSession.objects.filter(pk=int(event.custom_field), call_sid__isnull=True).exists():
                # A session awaiting its sid: ask the provider now rather
                # than at the next beat, so a real call is bound in seconds
                # (and a forged one is recorded as not confirmed).
                enqueue_task("calls.tasks.confirm_unmatched_callback", stored.pk)
        log.warning("callback for unknown CallSid %s (%s) stored for reconciliation", event.call_sid, event.provider_status)
        return CallbackResult("unmatched", None, event.provider_status)
    outcome = _apply_callback_event(session, event)
    return CallbackResult(outcome, session.pk, session.status)


def call_simulation_play_step(*, session_id: int, step: int) -> bool:
    """Apply the simulator's callback number ``step`` for a placed call,
    through the webhook's own service; True when another step follows."""
    session = CallSession.objects.filter(pk=session_id).only("id", "call_sid", "to_number").first()
    if session is None or not session.call_sid:
        return False
    events = simulated_callbacks(session_id=session.pk, call_sid=session.call_sid, customer_number=session.to_number)
    if step >= len(events):
        return False
    call_callback_receive(payload=events[step], provider="simulator")
    return step + 1 < len(events)
