"""Typed readers for settings that come from the environment.

Every value is validated when settings load: a malformed value raises
``ImproperlyConfigured`` naming the variable, so a misconfigured deploy fails
at start instead of at the first request that needs the value.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def get_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def get_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def get_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at most {maximum}")
    return number


def get_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def get_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(sorted(choices))}")
    return value


def get_url(name: str, default: str | None = None, *, schemes: set[str] | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip()
    parts = urlsplit(value)
    if not parts.scheme or (schemes and parts.scheme not in schemes) or (parts.scheme in {"http", "https"} and not parts.netloc):
        allowed = f" (allowed schemes: {', '.join(sorted(schemes))})" if schemes else ""
        raise ImproperlyConfigured(f"{name}={value!r} is not a valid URL{allowed}")
    return value


DATABASE_SCHEMES = {"sqlite", "mysql", "mysql2", "mysqlgis", "mariadb", "postgres", "postgresql", "pgsql"}


def get_database(name: str, default: str | None, *, conn_max_age: int = 0) -> dict | None:
    """Parse a database URL (``mysql://user:pass@host:3306/name``) into Django's dict."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        value = default
    if value is None:
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a database URL: expected one of "
            f"{', '.join(sorted(DATABASE_SCHEMES))}:// (e.g. mysql://root@127.0.0.1:3306/creditdesk)"
        )
    try:
        _port = parts.port  # urlsplit parses the port lazily: reading it validates it
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} has an invalid port") from None
    if parts.scheme != "sqlite" and not (parts.path.strip("/")):
        raise ImproperlyConfigured(f"{name}={value!r} names no database (the path after the host is empty)")
    try:
        config = dj_database_url.parse(value, conn_max_age=conn_max_age)
    except Exception as exc:  # dj_database_url raises ValueError/KeyError on odd input
        raise ImproperlyConfigured(f"{name}={value!r} could not be parsed: {exc}") from None
    return config
