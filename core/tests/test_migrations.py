"""Migrations apply on an empty MariaDB and an empty SQLite database, and are complete."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import MySQLdb
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _run(args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_makemigrations_finds_nothing():
    result = _run(["makemigrations", "--check", "--dry-run"], dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_migrations_apply_on_empty_sqlite(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    result = _run(["migrate", "--noinput"], env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_migrations_apply_on_empty_mariadb():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.mysql":
        pytest.skip("needs DATABASE_URL pointing at MariaDB/MySQL")
    db = settings.DATABASES["default"]
    name = f"cd_migr_{uuid.uuid4().hex[:8]}"
    conn = MySQLdb.connect(host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306), user=db["USER"], passwd=db["PASSWORD"] or "")
    try:
        conn.cursor().execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        url = f"mysql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{name}"
        result = _run(["migrate", "--noinput"], {**os.environ, "DATABASE_URL": url})
        assert result.returncode == 0, result.stdout + result.stderr
        check = _run(["check", "--database", "default"], {**os.environ, "DATABASE_URL": url})
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()
