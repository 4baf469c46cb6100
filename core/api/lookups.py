"""Exact-match lookups by a personal identifier (SSN, national ID, account
number): a right of their own, the value in a POST body, tightly throttled.

Why not ``?ssn=`` on the list: a URL lands in access logs, proxies and
browser history; and a list filter anyone with ``view_customer`` may call
as fast as they like, beside responses that show the last four digits, is
an oracle: with ``••••6789`` shown, an SSN has 10^5 candidates left, found
in minutes. So the list refuses those parameters (400 naming the POST
route), and a lookup needs ``customers.lookup_identifier`` (ops admins
only) and is throttled per user (``API_THROTTLE_IDENTIFIER_LOOKUP``,
default 30 an hour: 10^5 candidates take months). A lookup's answer is the
matching records, masked as everywhere; never a hash.
"""
from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission

from core.api.throttling import IdentifierLookupThrottle, UserThrottle

LOOKUP_PERMISSION = "customers.lookup_identifier"
# At most this many records come back from one lookup (an SSN or a bank
# account matches one; a national ID or a loan account a handful).
MAX_LOOKUP_RESULTS = 50


class CanLookUpIdentifiers(BasePermission):
    message = f"Looking records up by SSN, national ID or account number needs the {LOOKUP_PERMISSION} permission."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(LOOKUP_PERMISSION))


LOOKUP_THROTTLES = [UserThrottle, IdentifierLookupThrottle]


class IdentifierField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)


def one_identifier(attrs: dict, names: tuple[str, ...]) -> tuple[str, str]:
    """The one identifier given in a lookup body, as ``(name, value)``."""
    given = [(name, attrs[name]) for name in names if attrs.get(name)]
    if len(given) != 1:
        raise ValidationError({"non_field_errors": [f"Give exactly one of: {', '.join(names)}."]})
    return given[0]


class RefuseIdentifierQueryParams:
    """A viewset mixin: ``?ssn=`` and the like are refused with a 400 that
    names the POST route to use instead (``identifier_query_params``:
    parameter → route).

    A write that carries one of ``identifier_body_fields`` is throttled like
    a lookup as well: a unique identifier's "another customer already has
    this SSN" answers whether a guess exists, so writing guesses would be
    the same oracle by another door."""

    identifier_query_params: dict[str, str] = {}
    identifier_body_fields: tuple[str, ...] = ()

    def get_throttles(self):
        throttles = super().get_throttles()  # type: ignore[misc]
        request = self.request  # type: ignore[attr-defined]
        # (the lookup action has the lookup throttle already)
        if self.identifier_body_fields and getattr(self, "action", None) in ("create", "update", "partial_update"):
            data = request.data
            if hasattr(data, "keys") and any(data.get(name) for name in self.identifier_body_fields):
                throttles.append(IdentifierLookupThrottle())
        return throttles

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        given = [name for name in self.identifier_query_params if name in request.query_params]
        if given:
            raise ValidationError(
                {
                    name: [
                        f"Exact-match lookups by {name} are not taken in a URL: POST {{\"{name}\": ...}} to "
                        f"{self.identifier_query_params[name]} (needs {LOOKUP_PERMISSION})."
                    ]
                    for name in given
                }
            )
