"""Fixtures shared by every app's tests: users in each role and API clients."""
from __future__ import annotations

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import roles

# As config/urls.py does for the site: tests that read admin.site's registry
# at collection (every admin page, every export) see every app's admins.
django_admin.autodiscover()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """API throttles count in the cache: each test starts from zero, so one
    test's requests never throttle the next. Only the in-process cache is
    cleared; a shared Redis (REDIS_URL) is never flushed from a test."""
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


def _user_in(django_user_model, username: str, role: str | None):
    user = django_user_model.objects.create_user(username=username, password="pw-" + username, email=f"{username}@example.com")
    if role:
        roles.sync_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def ops_admin(db, django_user_model):
    user = _user_in(django_user_model, "ops", roles.OPS_ADMIN)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def agent(db, django_user_model):
    user = _user_in(django_user_model, "agent", roles.COLLECTIONS_AGENT)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def analyst(db, django_user_model):
    return _user_in(django_user_model, "analyst", roles.RISK_ANALYST)


@pytest.fixture
def reader(db, django_user_model):
    return _user_in(django_user_model, "reader", roles.READ_ONLY)


@pytest.fixture
def outsider(db, django_user_model):
    return _user_in(django_user_model, "outsider", None)


def _client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def ops_client(ops_admin):
    return _client_for(ops_admin)


@pytest.fixture
def agent_client(agent):
    return _client_for(agent)


@pytest.fixture
def analyst_client(analyst):
    return _client_for(analyst)


@pytest.fixture
def reader_client(reader):
    return _client_for(reader)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)
