"""ensure_admin prints a generated password once and stores it nowhere (only
Django's hash): not under var/, not on a second run."""
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


def _printed_password(output: str) -> str:
    match = re.search(r"password: (\S+)", output)
    assert match, output
    return match.group(1)


def _files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_the_password_is_printed_once_and_stored_nowhere(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    output = _run("--username", "boss")
    password = _printed_password(output)
    assert "shown once" in output
    user = get_user_model().objects.get(username="boss")
    assert user.is_superuser and user.is_staff and user.check_password(password)
    assert user.groups.filter(name="Ops admin").exists()
    assert password not in user.password
    assert _files_holding(tmp_path, password) == []
    # A second run neither prints nor changes it.
    again = _run("--username", "boss")
    assert password not in again and "unchanged" in again
    user.refresh_from_db()
    assert user.check_password(password)


def test_reset_prints_a_new_password(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    first = _printed_password(_run("--username", "boss"))
    second = _printed_password(_run("--username", "boss", "--reset"))
    assert first != second
    user = get_user_model().objects.get(username="boss")
    assert user.check_password(second) and not user.check_password(first)


def test_a_given_password_is_set_and_not_echoed(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    output = _run("--username", "boss", "--password", "Given-Passw0rd-123")
    assert "Given-Passw0rd-123" not in output
    assert get_user_model().objects.get(username="boss").check_password("Given-Passw0rd-123")


def test_a_clear_password_left_by_an_older_version_is_removed(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    old = tmp_path / "var" / "boss-password.txt"
    old.parent.mkdir()
    old.write_text("left-in-clear\n")
    _run("--username", "boss")
    assert not old.exists()
