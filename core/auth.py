"""Login lockout for the authentication backends (django-axes)."""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request (the
    admin login form: the only login an attacker can reach).

    ``authenticate()`` without a request (Django's test client ``login()``,
    a shell) is no HTTP login: axes would raise on it; here it is left to
    the next backend, unthrottled, as nothing outside the server can call it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
