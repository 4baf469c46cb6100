"""Database trouble is a 503 with Retry-After and a clear message: a second,
real MariaDB connection holds a row lock or a table lock while the request
waits (the test's own session wait is cut to 1 s); lost connections and
deadlocks are answered the same way."""
import os
import subprocess
import sys
from pathlib import Path

import MySQLdb
import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.urls import get_resolver

from core.api.exceptions import exception_handler
from core.dbtrouble import DatabaseTroubleMiddleware, server_error, trouble_message
from customers import services

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(connection.vendor != "mysql", reason="needs MySQL/MariaDB")


def _second_connection():
    s = connection.settings_dict
    conn = MySQLdb.connect(
        host=s["HOST"] or "127.0.0.1", port=int(s["PORT"] or 3306), user=s["USER"], passwd=s["PASSWORD"] or "",
        db=s["NAME"], charset="utf8mb4",
    )
    conn.autocommit(False)
    cur = conn.cursor()
    # Never wait forever on the test's own transaction.
    cur.execute("SET SESSION lock_wait_timeout=5, innodb_lock_wait_timeout=5")
    return conn


@pytest.fixture
def short_lock_wait(db):
    with connection.cursor() as cur:
        cur.execute("SELECT @@innodb_lock_wait_timeout, @@lock_wait_timeout")
        before = cur.fetchone()
        cur.execute("SET SESSION innodb_lock_wait_timeout=1, lock_wait_timeout=1")
    yield
    with connection.cursor() as cur:
        cur.execute(f"SET SESSION innodb_lock_wait_timeout={int(before[0])}, lock_wait_timeout={int(before[1])}")


def _assert_503(response):
    assert response.status_code == 503, response.content[:500]
    assert int(response["Retry-After"]) > 0
    return response


def test_every_connection_gets_the_lock_wait_from_settings(db, settings):
    with connection.cursor() as cur:
        cur.execute("SELECT @@innodb_lock_wait_timeout, @@lock_wait_timeout")
        row_wait, table_wait = cur.fetchone()
    assert row_wait == settings.DB_LOCK_WAIT_TIMEOUT == table_wait
    assert settings.DB_LOCK_WAIT_TIMEOUT < settings.GUNICORN_TIMEOUT


@pytest.mark.django_db(transaction=True)
def test_a_row_lock_held_elsewhere_is_a_503_on_the_api(ops_client):
    customer = services.customer_create(full_name="Nakato Sarah", primary_phone="+256706015809")
    with connection.cursor() as cur:
        cur.execute("SET SESSION innodb_lock_wait_timeout=1")
    other = _second_connection()
    try:
        other.cursor().execute("SELECT id FROM customers WHERE id = %s FOR UPDATE", [customer.pk])
        response = _assert_503(ops_client.patch(f"/api/v1/customers/{customer.pk}/", {"city": "Gulu"}, format="json"))
        body = response.json()
        assert "locked" in body["detail"] and "try again in" in body["detail"]
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cur:
            cur.execute("SET SESSION innodb_lock_wait_timeout=DEFAULT")
    customer.refresh_from_db()
    assert customer.city != "Gulu"
    # Once the lock is gone, the same request goes through.
    connection.close()
    assert ops_client.patch(f"/api/v1/customers/{customer.pk}/", {"city": "Gulu"}, format="json").status_code == 200


def test_a_table_lock_is_a_503_on_the_api_and_in_the_admin(short_lock_wait, ops_client, ops_admin, client):
    ops_admin.is_superuser = True
    ops_admin.save()
    client.force_login(ops_admin)
    other = _second_connection()
    try:
        other.cursor().execute("LOCK TABLES customers WRITE")
        api = _assert_503(ops_client.get("/api/v1/customers/"))
        assert "try again" in api.json()["detail"]
        admin = _assert_503(client.get("/admin/customers/customer/"))
        assert admin["Content-Type"].startswith("text/html")
        assert "Try again shortly" in admin.content.decode()
    finally:
        other.cursor().execute("UNLOCK TABLES")
        other.close()


def _error(code: int, text: str) -> OperationalError:
    return OperationalError(code, text)


@pytest.mark.parametrize("code", [1205, 1213, 1969, 2006, 2013, 2002, 1040])
def test_each_kind_of_trouble_has_a_message(code):
    assert trouble_message(_error(code, "x"))


@pytest.mark.parametrize("exc", [OperationalError(1054, "Unknown column"), ValueError("x"), OperationalError("no code")])
def test_other_errors_are_not_trouble(exc):
    assert trouble_message(exc) is None


def test_a_lost_connection_in_an_api_view_is_a_503():
    request = RequestFactory().get("/api/v1/customers/")
    response = exception_handler(_error(2013, "Lost connection to server during query"), {"request": request})
    assert response.status_code == 503 and response["Retry-After"]
    assert "connection was lost" in response.data["detail"]


def test_a_deadlock_on_a_page_is_a_503():
    middleware = DatabaseTroubleMiddleware(lambda request: None)
    request = RequestFactory().get("/dashboard/")
    response = middleware.process_exception(request, _error(1213, "Deadlock found"))
    assert response.status_code == 503 and "deadlock" in response.content.decode()
    assert middleware.process_exception(request, ValueError("not ours")) is None


def test_gunicorn_timeout_and_db_waits_must_agree():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FLOW_API_DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(GUNICORN_TIMEOUT="30", DB_LOCK_WAIT_TIMEOUT="45")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "DB_LOCK_WAIT_TIMEOUT (45) must be less than GUNICORN_TIMEOUT (30)" in result.stderr


def test_trouble_outside_a_view_reaches_handler500_as_a_503():
    assert get_resolver().resolve_error_handler(500) is server_error
    request = RequestFactory().get("/admin/")
    try:
        raise _error(2006, "MySQL server has gone away")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"]
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500
