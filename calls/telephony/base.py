"""The small interface every telephony provider implements.

The rest of the calls app talks to a provider only through ``place_call`` and
``fetch_call`` and only sees the exceptions below, so swapping Exotel for the
simulator (or another carrier) changes nothing upstream.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class ProviderError(Exception):
    """Base of every provider failure."""


class ProviderRateLimited(ProviderError):
    """HTTP 429: try again after ``retry_after`` seconds (None: not said)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """5xx, timeout or connection error: worth retrying with backoff."""


class ProviderRejected(ProviderError):
    """4xx other than 429: the request itself is wrong; retrying cannot help."""

    def __init__(self, message: str, *, status_code: int | None = None, body: str = ""):
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class ProviderCallNotFound(ProviderRejected):
    """The provider has no call with this sid."""


@dataclass(frozen=True)
class PlaceCallRequest:
    session_id: int
    customer_number: str  # E.164; dialled first (Exotel "From")
    agent_number: str = ""  # connect to this number (Exotel "To") instead of the call flow
    status_callback_url: str = ""


@dataclass(frozen=True)
class PlacedCall:
    call_sid: str
    status: str  # the provider's word for it ("queued", "in-progress"…)
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CallDetails:
    """What the provider's call-details API says about one call, in the
    shape of a status callback so the same code applies both."""

    call_sid: str
    payload: dict


class TelephonyProvider(Protocol):
    name: str

    def place_call(self, request: PlaceCallRequest) -> PlacedCall: ...

    def fetch_call(self, call_sid: str) -> CallDetails: ...

    def after_call_stored(self, *, session_id: int, call_sid: str) -> None:
        """Called once the session holds ``call_sid`` (after commit)."""
