"""Placing a scheduled call through the telephony provider.

A session stays ``scheduled`` until the provider has accepted it; the
``dispatch_claimed_until`` lease stops two workers dialling it at once. No
network request happens inside a transaction: the session is claimed in
one, the provider asked outside any, and the outcome stored in another.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls.calling_hours import local_day_start, next_calling_time
from calls.choices import CallStatus
from calls.models import CallSession
from calls.ratelimit import get_call_limiter
from calls.services.events import _apply_event, _replay_unmatched
from calls.services.sessions import agent_number_refusal, allowed_agent_number
from calls.telephony import (
    PlaceCallRequest,
    PlacedCall,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    get_provider,
)
from customers.models import Customer

log = logging.getLogger("calls")

# How long a worker may take to place one call before another may try.
DISPATCH_CLAIM_SECONDS = 120
# Provider requests per session before it is given up as failed.
MAX_PLACE_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX_SECONDS = 900
# When the shared rate limit is empty, a worker waits this long for a token
# before handing the session back to the dispatcher.
RATE_LIMIT_MAX_WAIT_SECONDS = 5.0
# How long to wait when the shared rate limiter itself cannot be reached.
RATE_LIMITER_DOWN_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class DispatchResult:
    session_id: int
    outcome: str  # initiated | deferred | failed | canceled | skipped
    retry_at: datetime | None = None
    detail: str = ""


def webhook_url() -> str:
    """The StatusCallback URL Exotel is given (reachable via PUBLIC_BASE_URL)."""
    path = reverse("api:call-webhook-exotel")
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}?{urlencode({'token': settings.EXOTEL_WEBHOOK_TOKEN})}"


def _backoff_seconds(attempt: int) -> float:
    # Exponential with jitter so a provider outage does not end in every
    # deferred call retrying in the same second.
    base = min(BACKOFF_BASE_SECONDS * (2 ** max(attempt - 1, 0)), BACKOFF_MAX_SECONDS)
    return base * random.uniform(0.8, 1.2)


def _clock(fixed_now: datetime | None) -> datetime:
    # Tests and replays pass ``now``; otherwise the time after the network
    # round trip, not before it.
    return fixed_now or timezone.now()


def call_session_dispatch(*, session_id: int, now: datetime | None = None, provider=None, limiter=None) -> DispatchResult:
    """Place a scheduled call through the provider, if it may go now.

    Checks, in order: still scheduled and due; do-not-call (cancels);
    calling hours in the customer's timezone and the daily attempt cap
    (both defer to the next window); the shared rate limit (defers by the
    wait). Then asks the provider. A 429 defers by ``Retry-After``; a 5xx,
    timeout or connection error defers with exponential backoff; after
    ``MAX_PLACE_ATTEMPTS`` requests, or on any other 4xx, the session fails
    with the provider's message and is not retried.
    """
    claimed = _claim(session_id, now=_clock(now))
    if isinstance(claimed, DispatchResult):
        return claimed
    session = claimed
    refused = _take_rate_limit_token(session_id, limiter=limiter if limiter is not None else get_call_limiter(), fixed_now=now)
    if refused is not None:
        return refused
    agent_number = (session.call_metadata or {}).get("agent_number", "")
    if agent_number and allowed_agent_number(agent_number) is None:
        # Checked when the call was scheduled; checked again because the
        # configured numbers may have changed since.
        return _fail_not_placed(session_id, agent_number_refusal(agent_number), fixed_now=now)
    provider = provider or get_provider(session.provider)
    request = PlaceCallRequest(
        session_id=session.pk,
        customer_number=session.to_number,
        agent_number=agent_number,
        status_callback_url=webhook_url(),
    )
    # Outside any transaction: no row lock is held across the network.
    try:
        placed = provider.place_call(request)
    except ProviderRejected as exc:
        return _fail_rejected(session_id, exc, fixed_now=now)
    except (ProviderRateLimited, ProviderUnavailable) as exc:
        return _retry_later(session_id, exc, fixed_now=now)
    return _store_placed(session_id, placed, provider=provider, fixed_now=now)


@transaction.atomic
def _claim(session_id: int, *, now: datetime) -> CallSession | DispatchResult:
    """Lease a due, scheduled session to this worker, or say why it does not go now.

    A short transaction with no network inside it.
    """
    session = CallSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None:
        return DispatchResult(session_id, "skipped", detail="no such call")
    if session.status != CallStatus.SCHEDULED:
        return DispatchResult(session_id, "skipped", detail=f"call is {session.status}")
    if session.scheduled_for and session.scheduled_for > now:
        return DispatchResult(session_id, "deferred", retry_at=session.scheduled_for, detail="not due yet")
    if session.dispatch_claimed_until and session.dispatch_claimed_until > now:
        return DispatchResult(session_id, "skipped", detail="another worker is placing this call")
    not_now = _customer_not_callable_now(session, now=now)
    if not_now is not None:
        return not_now
    session.dispatch_claimed_until = now + timedelta(seconds=DISPATCH_CLAIM_SECONDS)
    session.save(update_fields=["dispatch_claimed_until", "updated_at"])
    return session


def _customer_not_callable_now(session: CallSession, *, now: datetime) -> DispatchResult | None:
    """Cancel for do-not-call, defer for calling hours or the daily cap; None when the customer may be called now."""
    customer = Customer.objects.only("id", "do_not_call", "timezone", "full_name").get(pk=session.customer_id)
    if customer.do_not_call:
        _apply_event(session, status=CallStatus.CANCELED, occurred_at=now, message="Canceled: customer is marked do-not-call")
        return DispatchResult(session.pk, "canceled", detail="do-not-call")
    when = next_calling_time(tz_name=customer.timezone, now=now)
    if when > now:
        _defer(session, when, "Waiting for calling hours")
        return DispatchResult(session.pk, "deferred", retry_at=when, detail="outside calling hours")
    day_start = local_day_start(tz_name=customer.timezone, now=now)
    attempts_today = CallSession.objects.filter(customer_id=customer.pk, initiated_at__gte=day_start).count()
    if attempts_today >= settings.CALLS_MAX_ATTEMPTS_PER_DAY:
        tomorrow = next_calling_time(tz_name=customer.timezone, now=day_start + timedelta(days=1))
        _defer(session, tomorrow, f"Daily cap of {settings.CALLS_MAX_ATTEMPTS_PER_DAY} calls reached")
        return DispatchResult(session.pk, "deferred", retry_at=tomorrow, detail="daily attempt cap")
    return None


def _take_rate_limit_token(session_id: int, *, limiter, fixed_now: datetime | None) -> DispatchResult | None:
    """Wait briefly for the shared rate limit; if it stays empty, hand the session back deferred."""
    try:
        wait = limiter.acquire(max_wait=RATE_LIMIT_MAX_WAIT_SECONDS)
    except Exception as exc:  # Redis down: every worker falling back to its own bucket would overrun the provider
        log.error("call %s: rate limiter unavailable (%s); deferring", session_id, exc)
        wait = RATE_LIMITER_DOWN_WAIT_SECONDS
    if not wait:
        return None
    retry_at = _clock(fixed_now) + timedelta(seconds=wait)
    with transaction.atomic():
        session = CallSession.objects.select_for_update().get(pk=session_id)
        _defer(session, retry_at, "", keep_error=True)
    return DispatchResult(session_id, "deferred", retry_at=retry_at, detail="rate limit")


@transaction.atomic
def _fail_not_placed(session_id: int, reason: str, *, fixed_now: datetime | None) -> DispatchResult:
    """A call we refuse to place ourselves: it fails without asking the provider."""
    session = CallSession.objects.select_for_update().get(pk=session_id)
    session.error_message = reason[:2000]
    _apply_event(session, status=CallStatus.FAILED, occurred_at=_clock(fixed_now), message=f"Not placed: {reason}")
    return DispatchResult(session_id, "failed", detail=reason)


@transaction.atomic
def _fail_rejected(session_id: int, exc: ProviderRejected, *, fixed_now: datetime | None) -> DispatchResult:
    """The provider refused the request itself (a 4xx): retrying cannot help, so the call fails."""
    session = CallSession.objects.select_for_update().get(pk=session_id)
    session.attempt_count += 1
    session.error_message = str(exc)[:2000]
    session.provider_data = {**(session.provider_data or {}), "connect_error": {"status": exc.status_code, "body": exc.body}}
    _apply_event(session, status=CallStatus.FAILED, occurred_at=_clock(fixed_now), message=f"Provider refused the call: {exc}")
    log.warning("call %s refused by provider: %s", session_id, exc)
    return DispatchResult(session_id, "failed", detail=str(exc))


def _retry_later(session_id: int, exc: ProviderRateLimited | ProviderUnavailable, *, fixed_now: datetime | None) -> DispatchResult:
    """A 429, 5xx, timeout or connection error: defer by Retry-After or backoff, or give up after the last attempt."""
    with transaction.atomic():
        session = CallSession.objects.select_for_update().get(pk=session_id)
        session.attempt_count += 1
        if session.attempt_count >= MAX_PLACE_ATTEMPTS:
            session.error_message = f"Gave up after {session.attempt_count} attempts: {exc}"[:2000]
            _apply_event(session, status=CallStatus.FAILED, occurred_at=_clock(fixed_now), message=session.error_message)
            log.error("call %s failed after %s attempts: %s", session_id, session.attempt_count, exc)
            return DispatchResult(session_id, "failed", detail=str(exc))
        if isinstance(exc, ProviderRateLimited) and exc.retry_after is not None:
            delay = exc.retry_after
        else:
            delay = _backoff_seconds(session.attempt_count)
        retry_at = _clock(fixed_now) + timedelta(seconds=delay)
        session.error_message = f"Attempt {session.attempt_count}: {exc}"[:2000]
        _defer(session, retry_at, "", keep_error=True)
    log.info("call %s deferred %.0fs after attempt %s: %s", session_id, delay, session.attempt_count, exc)
    return DispatchResult(session_id, "deferred", retry_at=retry_at, detail=str(exc))


def _store_placed(session_id: int, placed: PlacedCall, *, provider, fixed_now: datetime | None) -> DispatchResult:
    """Store the provider's call id, record INITIATED, and apply callbacks that beat us to it."""
    with transaction.atomic():
        session = CallSession.objects.select_for_update().get(pk=session_id)
        session.attempt_count += 1
        session.dispatch_claimed_until = None
        session.error_message = ""
        if session.call_sid and session.call_sid != placed.call_sid:
            # A callback carrying our CustomField adopted an earlier attempt's
            # call (a timed-out request that Exotel did place): keep that one.
            log.warning("call %s: provider placed %s but %s already adopted", session_id, placed.call_sid, session.call_sid)
        else:
            session.call_sid = placed.call_sid
        session.initiated_at = session.initiated_at or _clock(fixed_now)
        session.provider_data = {**(session.provider_data or {}), "connect": placed.raw}
        session.save(update_fields=["attempt_count", "dispatch_claimed_until", "error_message", "call_sid", "initiated_at", "provider_data", "updated_at"])
        _apply_event(session, status=CallStatus.INITIATED, occurred_at=session.initiated_at, message=f"{provider.name} accepted the call ({placed.status})")
        _replay_unmatched(session)
        stored_sid = session.call_sid
        transaction.on_commit(lambda: provider.after_call_stored(session_id=session_id, call_sid=stored_sid))
    return DispatchResult(session_id, "initiated", detail=stored_sid)


def _defer(session: CallSession, retry_at: datetime, reason: str, *, keep_error: bool = False) -> None:
    session.scheduled_for = retry_at
    session.dispatch_claimed_until = None
    if not keep_error:
        session.error_message = reason
    session.save(update_fields=["scheduled_for", "dispatch_claimed_until", "error_message", "attempt_count", "updated_at"])
