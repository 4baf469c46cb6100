"""gunicorn's access log without secrets (``logger_class`` in
``config/gunicorn.conf.py``).

Every atom a format can name (the request line ``%(r)s``, the query string
``%(q)s``, the referrer ``%(f)s``, request headers and environ values) passes
through ``core.logredact.redact_text``; the credentials headers are dropped
whole, should a custom ``access_log_format`` ask for them.
"""
from __future__ import annotations

from gunicorn.glogging import Logger

from core.logredact import REDACTED, redact_text

_SECRET_ATOMS = {"{authorization}i", "{cookie}i", "{x-csrftoken}i", "{set-cookie}o", "{http_authorization}e", "{http_cookie}e"}


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in _SECRET_ATOMS:
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact_text(value)
        return atoms
