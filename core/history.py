"""Audit-history helpers shared by every app's services."""
from __future__ import annotations

from typing import Any


def set_history_user(obj: Any, user: Any) -> None:
    """Record ``user`` as the author of ``obj``'s next history row.

    simple-history takes the user from the request; tasks and commands have
    none, so a service given an actor passes it on explicitly.
    """
    if user is not None and getattr(user, "pk", None):
        obj._history_user = user
