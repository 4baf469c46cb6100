"""Calling hours in the customer's own timezone (``CALLING_HOURS``).

``CALLING_HOURS`` is one or more local windows, ``HH:MM-HH:MM`` separated by
commas (``09:00-13:00,14:00-19:00``). A call due outside them waits for the
start of the next window in the customer's timezone.

The rule is pure (no model), so it lives in core: ``calls`` schedules by it
and ``debts`` (below ``calls``) orders the work queue by it ("callable now
first"). ``calls.calling_hours`` re-exports it for calls' own imports.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_calling_hours(text: str) -> list[tuple[time, time]]:
    windows = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _WINDOW_RE.match(part)
        if not match:
            raise ImproperlyConfigured(f"CALLING_HOURS={text!r}: {part.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = time(h1, m1), time(h2, m2) if (h2, m2) != (24, 0) else time.max
        except ValueError:
            raise ImproperlyConfigured(f"CALLING_HOURS={text!r}: {part.strip()!r} is not a time of day") from None
        if start >= end:
            raise ImproperlyConfigured(f"CALLING_HOURS={text!r}: a window must start before it ends")
        windows.append((start, end))
    if not windows:
        raise ImproperlyConfigured("CALLING_HOURS is empty")
    return sorted(windows)


def customer_zone(tz_name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        # A typo in one customer's timezone must not stop their calls: fall
        # back to the lender's own zone.
        return ZoneInfo(settings.TIME_ZONE)


def next_calling_time(*, tz_name: str | None, now: datetime, hours: str | None = None) -> datetime:
    """``now`` if it is inside a calling window in ``tz_name``, else the
    start of the next window (an aware datetime)."""
    zone = customer_zone(tz_name)
    windows = parse_calling_hours(hours if hours is not None else settings.CALLING_HOURS)
    local = now.astimezone(zone)
    for day_offset in range(0, 3):
        day: date = local.date() + timedelta(days=day_offset)
        for start, end in windows:
            window_start = datetime.combine(day, start, tzinfo=zone)
            window_end = datetime.combine(day, end, tzinfo=zone)
            if window_start <= local < window_end:
                return now
            if local < window_start:
                return window_start
    raise AssertionError("unreachable: every day has a window")


def local_day_start(*, tz_name: str | None, now: datetime) -> datetime:
    zone = customer_zone(tz_name)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time.min, tzinfo=zone)


def callable_now(*, tz_name: str | None, now: datetime, hours: str | None = None) -> bool:
    """Whether ``now`` is inside a calling window in ``tz_name`` (the customer's zone)."""
    return next_calling_time(tz_name=tz_name, now=now, hours=hours) == now


@lru_cache(maxsize=4)
def _zones_split(minute: datetime, hours: str) -> tuple[frozenset[str], frozenset[str]]:
    callable_zones, closed_zones = set(), set()
    for name in available_timezones():
        (callable_zones if callable_now(tz_name=name, now=minute, hours=hours) else closed_zones).add(name)
    return frozenset(callable_zones), frozenset(closed_zones)


def zones_callable_now(*, now: datetime, hours: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """Every IANA zone split into (callable now, not callable now), at ``now``'s minute.

    Lets a query order customers by "callable now" with an ``IN`` on their
    ``timezone`` column instead of asking the rule row by row. Windows start
    and end on whole minutes, so the answer is cached per minute.
    """
    minute = now.replace(second=0, microsecond=0)
    return _zones_split(minute, hours if hours is not None else settings.CALLING_HOURS)
