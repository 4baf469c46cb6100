"""Throttles beyond DRF's per-user and anonymous defaults.

Counts live in ``CACHES["default"]``: Redis when ``REDIS_URL`` is set (one
count for every worker and machine), process memory otherwise (one count
per process: fine for development, not for production).
"""
from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class LiveRatesMixin:
    """Read the rate from the current settings: DRF's throttles copy
    ``DEFAULT_THROTTLE_RATES`` once, at import, so a changed setting (a test's
    ``override_settings``) would otherwise never reach them."""

    scope: str

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(LiveRatesMixin, AnonRateThrottle):
    """Anonymous requests, per client IP (``API_THROTTLE_ANON``)."""


class UserThrottle(LiveRatesMixin, UserRateThrottle):
    """Authenticated requests, per user (``API_THROTTLE_USER``)."""


class IdentifierLookupThrottle(LiveRatesMixin, UserRateThrottle):
    """Exact-match lookups by SSN, national ID or account number, per user
    (``API_THROTTLE_IDENTIFIER_LOOKUP``): tight, so that guessing the digits
    hidden behind a masked ``••••6789`` takes months, not minutes."""

    scope = "identifier_lookup"


class GlobalRateThrottle(LiveRatesMixin, SimpleRateThrottle):
    """One count for every sender: bounds the total work, whoever asks."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": "all"}


class UnknownCallSidThrottle(GlobalRateThrottle):
    """Exotel callbacks for a CallSid we do not know (``EXOTEL_UNKNOWN_SID_THROTTLE``).

    Each is stored for reconciliation; anyone holding the webhook token could
    otherwise fill the table. Exotel retries a refused callback, and
    reconciliation asks Exotel about every call it has not heard the end of.
    """

    scope = "webhook_unknown_sid"
