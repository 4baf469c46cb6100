"""Does the database convert time zones? MySQL/MariaDB need their time-zone
tables for it (``CONVERT_TZ``, and so Django's ``TruncDate``, ``dates()`` and
the admin's date hierarchy with ``USE_TZ``); a fresh server has none, and
then those return NULL.

``missing_time_zone_tables()`` asks the server itself. The system check
``core.E010`` (tag ``database``: ``migrate`` and ``check --database default``
run it, so docker-compose's ``migrate`` service refuses to go on) reports it,
and the ops dashboard's charts show the message instead of failing.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.core import checks
from django.db import connections

LOAD_HINT = (
    "load them with `mysql_tzinfo_to_sql /usr/share/zoneinfo | mysql -u root mysql` "
    "(./scripts/mysql_timezones does it; docker-compose's mysql-timezones service runs it)"
)
_CACHE_SECONDS = 60.0
_cache: dict[tuple[str, str], tuple[float, str | None]] = {}


def missing_time_zone_tables(using: str = "default", zone: str | None = None) -> str | None:
    """None when the database converts UTC to ``zone`` (TIME_ZONE by default),
    else a message saying what is missing and how to load it. Always None on
    databases other than MySQL/MariaDB, or with USE_TZ off."""
    connection = connections[using]
    if connection.vendor != "mysql" or not settings.USE_TZ:
        return None
    zone = zone or settings.TIME_ZONE
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONVERT_TZ('2020-01-01 00:00:00', 'UTC', %s)", [zone])
        (converted,) = cursor.fetchone()
    if converted is not None:
        return None
    return (
        f"The database server has no time-zone data for 'UTC' → '{zone}' (CONVERT_TZ returns NULL), "
        f"so dates cannot be grouped by local day: {LOAD_HINT}."
    )


def time_zone_problem(using: str = "default") -> str | None:
    """``missing_time_zone_tables`` for TIME_ZONE, remembered for a minute per
    process, so a page can ask on every request."""
    key = (using, settings.TIME_ZONE)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached and now - cached[0] < _CACHE_SECONDS:
        return cached[1]
    problem = missing_time_zone_tables(using)
    _cache[key] = (now, problem)
    return problem


def check_time_zone_tables(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: run only when databases are named (``migrate``,
    ``check --database default``), against our own database."""
    if not databases or "default" not in databases:
        return []
    problem = missing_time_zone_tables("default")
    if problem is None:
        return []
    return [checks.Error(problem, hint="The ops dashboard's charts and the admin's date filters need it.", id="core.E010")]
