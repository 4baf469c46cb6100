"""Admin login lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords lock
the username, and separately the IP; while locked even the right password
fails; the reset commands and the admin unlock."""
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("clerk", password="right-horse-battery", is_staff=True)


@pytest.fixture
def other_staff(db):
    return get_user_model().objects.create_user("second", password="other-horse-battery", is_staff=True)


def _login(username, password, ip="198.51.100.7"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return client, response


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_limit_is_a_setting_with_a_sane_default():
    assert 3 <= settings.AXES_FAILURE_LIMIT <= 10
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_wrong_passwords_lock_the_user_even_from_another_ip(staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _, response = _login("clerk", f"wrong-{n}", ip=f"203.0.113.{n + 1}")
    assert response.status_code == 429
    # The right password, from a fresh address, is refused while locked.
    client, response = _login("clerk", "right-horse-battery", ip="192.0.2.200")
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert not _logged_in(client)


def test_wrong_passwords_from_one_ip_lock_that_ip_for_every_user(staff, other_staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(f"guess{n}", "nope", ip="198.51.100.66")
    client, response = _login("clerk", "right-horse-battery", ip="198.51.100.66")
    assert response.status_code == 429 and not _logged_in(client)
    # Another address is not locked: the same user logs in from there.
    client, response = _login("clerk", "right-horse-battery", ip="198.51.100.67")
    assert response.status_code == 302 and _logged_in(client)


def test_under_the_limit_the_right_password_works_and_resets_the_count(staff):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        _login("clerk", f"wrong-{n}")
    client, response = _login("clerk", "right-horse-battery")
    assert response.status_code == 302 and _logged_in(client)
    assert not AccessAttempt.objects.filter(username="clerk").exists()


def test_the_reset_command_unlocks_the_user(staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login("clerk", f"wrong-{n}", ip=f"203.0.113.{n + 1}")
    assert _login("clerk", "right-horse-battery", ip="192.0.2.9")[1].status_code == 429
    call_command("axes_reset_username", "clerk")
    client, response = _login("clerk", "right-horse-battery", ip="192.0.2.9")
    assert response.status_code == 302 and _logged_in(client)


def test_an_ops_admin_unlocks_in_the_admin(staff, ops_admin, reader, client):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login("clerk", f"wrong-{n}")
    assert _login("clerk", "right-horse-battery", ip="192.0.2.10")[1].status_code == 429
    attempts = list(AccessAttempt.objects.filter(username="clerk").values_list("pk", flat=True))
    assert ops_admin.has_perm("axes.view_accessattempt") and ops_admin.has_perm("axes.delete_accessattempt")
    client.force_login(ops_admin)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    response = client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": attempts, "post": "yes"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="clerk").exists()
    client, response = _login("clerk", "right-horse-battery", ip="192.0.2.10")
    assert response.status_code == 302 and _logged_in(client)


def test_only_ops_admins_may_unlock(agent, analyst, reader, outsider):
    for user in (agent, analyst, reader, outsider):
        assert not user.has_perm("axes.delete_accessattempt")


def test_the_test_clients_login_still_works(staff, client):
    # No request reaches authenticate() from Client.login(): not an HTTP
    # login, so not counted, and not refused.
    assert client.login(username="clerk", password="right-horse-battery")
    assert not client.login(username="clerk", password="wrong")
    assert not AccessAttempt.objects.exists()
