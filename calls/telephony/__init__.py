"""Telephony providers, chosen by the ``TELEPHONY_PROVIDER`` setting.

``exotel`` speaks Exotel's HTTP API; ``simulator`` (the development default)
needs no network and plays each call's lifecycle through the same webhook
handler Exotel's callbacks reach.
"""
from __future__ import annotations

from django.conf import settings

from calls.telephony.base import (
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
from calls.telephony.exotel import ExotelProvider
from calls.telephony.simulator import SimulatorProvider

__all__ = [
    "CallDetails",
    "PlaceCallRequest",
    "PlacedCall",
    "ProviderCallNotFound",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderRejected",
    "ProviderUnavailable",
    "TelephonyProvider",
    "get_provider",
]


def get_provider(name: str | None = None) -> TelephonyProvider:
    name = name or settings.TELEPHONY_PROVIDER
    if name == "exotel":
        return ExotelProvider.from_settings()
    if name == "simulator":
        return SimulatorProvider()
    raise ValueError(f"unknown telephony provider {name!r}")
