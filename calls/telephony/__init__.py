"""Telephony providers, chosen by the ``TELEPHONY_PROVIDER`` setting.

``exotel`` speaks Exotel's HTTP API; ``simulator`` (the development default)
needs no network and plays each call's lifecycle through the same webhook
handler Exotel's callbacks reach.
"""
from __future__ import annotations

from django.conf import settings

from calls.telephony.base import (  # noqa: F401  (the package's public names)
    CallDetails,
    PlaceCallRequest,
    PlacedCall,
    ProviderCallNotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    TelephonyProvider,
)


def get_provider(name: str | None = None) -> TelephonyProvider:
    name = name or settings.TELEPHONY_PROVIDER
    if name == "exotel":
        from calls.telephony.exotel import ExotelProvider

        return ExotelProvider.from_settings()
    if name == "simulator":
        from calls.telephony.simulator import SimulatorProvider

        return SimulatorProvider()
    raise ValueError(f"unknown telephony provider {name!r}")
