"""The admin door of the identifier oracle (see ``core.api.lookups``).

Typing an SSN, national ID or account number into a change form answers
"another customer already has this SSN" when the guess exists. A form
submission that carries one counts against the same per-user budget as an
API lookup (``API_THROTTLE_IDENTIFIER_LOOKUP``); past it, a 429 with
Retry-After, and nothing is saved.
"""
from __future__ import annotations

from django.http import HttpResponse
from django.utils.html import escape

from core.api.throttling import IdentifierLookupThrottle


class IdentifierWriteThrottleAdminMixin:
    identifier_form_fields: tuple[str, ...] = ()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and any(request.POST.get(name, "").strip() for name in self.identifier_form_fields):
            throttle = IdentifierLookupThrottle()
            if not throttle.allow_request(request, self):
                wait = max(1, int(throttle.wait() or 1))
                response = HttpResponse(
                    "<!doctype html><title>Too many identifier changes</title><h1>Too many identifier changes</h1>"
                    f"<p>{escape(', '.join(self.identifier_form_fields))} entered too often; nothing was saved. "
                    f"Try again in {wait} seconds.</p>",
                    status=429,
                    content_type="text/html; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
