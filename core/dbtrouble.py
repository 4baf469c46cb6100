"""Database trouble is a 503 with ``Retry-After``, never a 500 or a hang.

A request that waits on a lock past ``DB_LOCK_WAIT_TIMEOUT`` (MySQL 1205), is
picked as a deadlock victim (1213), runs past MariaDB's
``max_statement_time`` (1969), or loses its connection (2006, 2013; or
cannot connect: 2002, 2003, 1040 too many connections) has done nothing
that is kept: its transaction is rolled back. The client may simply try
again later, and that is what the answer says. The API answers through
``core.api.exceptions``; every other page (the admin, the ops pages) through
``DatabaseTroubleMiddleware``; and trouble outside a view (a middleware
loading the session, say) through ``server_error``, the ``handler500``.
"""
from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

log = logging.getLogger("core.dbtrouble")

# MySQL/MariaDB error codes, and what the client is told.
_BUSY = "The database is busy (a record this request needs is locked)."
_GONE = "The database connection was lost."
TROUBLE_CODES = {
    1205: _BUSY,  # lock wait timeout (row lock, or LOCK TABLES via lock_wait_timeout)
    1213: "The request collided with another one (database deadlock).",
    1969: "The request took too long in the database (max_statement_time).",
    3024: "The request took too long in the database (max_execution_time).",
    2006: _GONE,  # server has gone away
    2013: _GONE,  # lost connection during query
    2002: "The database cannot be reached.",
    2003: "The database cannot be reached.",
    1040: "The database has too many connections.",
}


def trouble_message(exc: BaseException) -> str | None:
    """The client's message when ``exc`` is database trouble worth a retry, else None."""
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__ or exc
    code = cause.args[0] if getattr(cause, "args", None) else None
    if not isinstance(code, int):
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    return TROUBLE_CODES.get(code) if code is not None else None


def retry_after() -> int:
    return settings.DB_TROUBLE_RETRY_AFTER


def detail_text(message: str) -> str:
    return f"{message} Nothing was changed; try again in {retry_after()} seconds."


def log_trouble(request: HttpRequest, exc: BaseException) -> None:
    # The path only: a query string may hold what the access log redacts.
    log.warning("database trouble on %s %s: %s", request.method, request.path, exc)


def trouble_response(request: HttpRequest, exc: BaseException, message: str) -> HttpResponse:
    log_trouble(request, exc)
    text = detail_text(message)
    response: HttpResponse
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": text}, status=503)
    else:
        # No template: rendering one runs context processors that would
        # touch the database (the session, the user) again.
        response = HttpResponse(
            "<!doctype html><title>Try again shortly</title><h1>Try again shortly</h1>"
            f"<p>{text}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(retry_after())
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: database trouble raised outside a view is a 503 too;
    anything else is Django's own 500 page."""
    exc = sys.exc_info()[1]
    message = trouble_message(exc) if exc is not None else None
    if message is not None and exc is not None:
        return trouble_response(request, exc, message)
    return defaults.server_error(request)


class DatabaseTroubleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        message = trouble_message(exc)
        if message is None:
            return None
        return trouble_response(request, exc, message)
