"""Settings come from the environment and refuse malformed values loudly."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _check(**env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FLOW_API_DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "value",
    ["not-a-url", "ftp://example.com/db", "mysql://root@127.0.0.1:notaport/test", "mysql://root@127.0.0.1:3306"],
)
def test_malformed_database_url_fails_at_start_naming_the_variable(value):
    result = _check(DATABASE_URL=value)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_malformed_boolean_names_the_variable():
    result = _check(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_malformed_integer_names_the_variable():
    result = _check(CALLS_RATE_LIMIT_PER_MINUTE="lots")
    assert result.returncode != 0
    assert "CALLS_RATE_LIMIT_PER_MINUTE='lots' is not an integer" in result.stderr


def test_an_integer_over_its_maximum_names_the_variable():
    # The loan-book import's own bound (uploads.services.process), refused at
    # start rather than at every import; the bound itself is accepted.
    from uploads.services.process import MAX_CHUNK_SIZE  # noqa: PLC0415 — a higher app's constant, read by this test only

    assert _check(UPLOAD_CHUNK_SIZE=str(MAX_CHUNK_SIZE)).returncode == 0
    result = _check(UPLOAD_CHUNK_SIZE=str(MAX_CHUNK_SIZE + 1))
    assert result.returncode != 0
    assert f"UPLOAD_CHUNK_SIZE='{MAX_CHUNK_SIZE + 1}' must be at most {MAX_CHUNK_SIZE}" in result.stderr


def test_bad_field_encryption_key_is_refused():
    result = _check(FIELD_ENCRYPTION_KEY="short")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in result.stderr


def test_production_refuses_development_secret_key():
    result = _check(DEBUG="0", ALLOWED_HOSTS="creditdesk.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_default_is_sqlite_with_eager_celery():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    code = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings'); django.setup(); {code}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"], result.stderr


def test_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FLOW_API_DATABASE_URL"}},
            "DEBUG": "0",
            "SECRET_KEY": "x" * 20 + "Q7p!v2Lr9#kW4s@Zt8&mN1bC6yHj3Ee5",
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "creditdesk.example.com",
            "EXOTEL_WEBHOOK_TOKEN": "prod-token",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_collectstatic_builds_the_manifest(tmp_path):
    """With DEBUG=0 the manifest storage resolves every URL a static file names (the Docker image runs this)."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FLOW_API_DATABASE_URL"}},
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "Q7p!v2Lr9#kW4s@Zt8&mN1bC6yHj3Ee5",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
