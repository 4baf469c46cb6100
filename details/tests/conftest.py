"""A real second MariaDB database standing in for the core lending database.

Package-scoped: created (``<test database>_flow_api``, so parallel runs with
different TEST_DB_NAME and xdist workers never share it) before the first
test of this folder, loaded with ``fixtures/flow_api/schema.sql`` and
``sample_rows.sql``, and dropped after the last one, together with the
``flow_api`` connection alias added for it. Tests that read it use the
``flow_api`` fixture and ``@pytest.mark.django_db(databases=["default", "flow_api"])``.

When ``FLOW_API_DATABASE_URL`` is set, the test runner has already created
the alias's test database; it is loaded the same way and left to the runner
to drop.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from core.routers import FLOW_API_ALIAS
from fixtures.flow_api.loader import raw_connection, sql_statements

FIXTURES = Path(django_settings.BASE_DIR) / "fixtures"
FLOW_API_FIXTURES = FIXTURES / "flow_api"


def load_flow_api(settings_dict: dict, name: str, files=("schema.sql", "sample_rows.sql")) -> None:
    if not name.startswith("test"):
        raise RuntimeError(f"refusing to load fixtures into {name!r}: not a test database")
    conn = raw_connection(settings_dict)
    try:
        cursor = conn.cursor()
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cursor.execute(f"USE `{name}`")
        for file in files:
            for statement in sql_statements(FLOW_API_FIXTURES / file):
                cursor.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="package", autouse=True)
def flow_api_database(django_db_setup, django_db_blocker):
    """The name of the core test database, or None when tests do not run on MySQL."""
    default = connections["default"].settings_dict
    if default["ENGINE"] != "django.db.backends.mysql":
        yield None
        return
    added_here = FLOW_API_ALIAS not in connections
    if added_here:
        alias_settings = copy.deepcopy(default)
        alias_settings["NAME"] = f"{default['NAME']}_flow_api"
        # TEST NAME differs from NAME as in production, so the session is
        # read-only as there (details.flow_api._read_only_session).
        alias_settings["TEST"] = {**alias_settings.get("TEST", {}), "NAME": None, "MIRROR": None}
        alias_settings["OPTIONS"].update(
            connect_timeout=django_settings.FLOW_API_TIMEOUT_SECONDS, read_timeout=django_settings.FLOW_API_TIMEOUT_SECONDS
        )
        name = alias_settings["NAME"]
    else:
        alias_settings = connections[FLOW_API_ALIAS].settings_dict
        name = alias_settings["NAME"]
    with django_db_blocker.unblock():
        load_flow_api(alias_settings, name)
    if added_here:
        connections.settings[FLOW_API_ALIAS] = alias_settings
    try:
        yield name
    finally:
        if added_here:
            connections[FLOW_API_ALIAS].close()
            del connections[FLOW_API_ALIAS]
            del connections.settings[FLOW_API_ALIAS]
            conn = raw_connection(alias_settings)
            try:
                conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
            finally:
                conn.close()


@pytest.fixture
def flow_api(flow_api_database, settings):
    """The core database switched on for one test (FLOW_API_ENABLED)."""
    if flow_api_database is None:
        pytest.skip("the core-database tests need MySQL/MariaDB (DATABASE_URL=mysql://...)")
    settings.FLOW_API_ENABLED = True
    return connections[FLOW_API_ALIAS]


@pytest.fixture
def no_flow_api(settings):
    """The development default: no core database configured."""
    settings.FLOW_API_ENABLED = False


@pytest.fixture
def mapper_csv(settings):
    settings.MAPPER_CSV_PATH = str(FIXTURES / "mapper.csv")
    return settings.MAPPER_CSV_PATH


@pytest.fixture(autouse=True)
def _no_stray_mapper(settings, tmp_path):
    # Tests see mapper.csv only when they ask for it (mapper_csv fixture).
    settings.MAPPER_CSV_PATH = str(tmp_path / "no-mapper.csv")


class CoreDown:
    """The core database unreachable: while inside, the ``flow_api`` alias is
    a fresh connection to a port nobody listens on (the test's own
    connection, inside the runner's transaction, is put back afterwards)."""

    def __enter__(self):
        self.original = connections[FLOW_API_ALIAS]
        unreachable = copy.deepcopy(self.original.settings_dict)
        unreachable["HOST"], unreachable["PORT"] = "127.0.0.1", "1"
        connections[FLOW_API_ALIAS] = self.original.__class__(unreachable, FLOW_API_ALIAS)
        return self

    def __exit__(self, *exc):
        connections[FLOW_API_ALIAS].close()
        connections[FLOW_API_ALIAS] = self.original
