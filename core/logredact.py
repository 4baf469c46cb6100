"""Keep secrets and personal identifiers out of log lines.

The Exotel webhook is authenticated by ``?token=`` in its URL, and older
clients put ``?ssn=`` or ``?account_number=`` in theirs: a request line
written to an access log as-is would store them in clear. ``redact_text``
replaces the value of each such query parameter (``LOG_REDACT_QUERY_PARAMS``,
case-insensitive, plain or percent-encoded name) with ``[redacted]`` wherever
it appears in a line; gunicorn's access log (``core.gunicorn_logging``) and
Django's logging (``RedactingFilter`` on the console handler) both use it.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

from django.conf import settings

REDACTED = "[redacted]"
DEFAULT_PARAMS = ("token", "ssn", "national_id", "account_number", "routing_number", "password", "api_key", "secret")


def redacted_params() -> tuple[str, ...]:
    # gunicorn's master logs before Django's settings are loaded.
    if settings.configured:
        return tuple(getattr(settings, "LOG_REDACT_QUERY_PARAMS", DEFAULT_PARAMS))
    return DEFAULT_PARAMS


@lru_cache(maxsize=8)
def _pattern(params: tuple[str, ...]) -> re.Pattern:
    # A parameter starts a query string or follows a separator (``?``, ``&``,
    # ``;`` or their encoded forms), so ``?customer_token=`` is redacted only
    # when listed itself; its value runs to the next separator, space or quote.
    names = "|".join(re.escape(p) for p in sorted(params, key=len, reverse=True))
    return re.compile(
        rf"(?P<lead>(?:^|[?&;\s\"']|%3[fF]|%26)(?:{names})(?:=|%3[dD]))(?P<value>[^&;\s\"'#]*?)(?=%26|[&;\s\"'#]|$)",
        re.IGNORECASE,
    )


def redact_text(text: str, params: tuple[str, ...] | None = None) -> str:
    """``text`` with the value of every listed query parameter replaced."""
    if not text or "=" not in text and "%3" not in text.lower():
        return text
    return _pattern(tuple(params if params is not None else redacted_params())).sub(
        lambda m: m.group("lead") + (REDACTED if m.group("value") else ""), text
    )


class RedactingFilter(logging.Filter):
    """A logging filter: the record's message, query strings redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the formatter to report
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
