"""Time-zone tables: the real server is asked, with a zone it has and one it
lacks. "Factory" (in Python's tz database, never loaded by
mysql_tzinfo_to_sql) is what a server without the tables looks like for any zone."""
import zoneinfo

import MySQLdb
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import override_settings

from core.timezones import check_time_zone_tables, missing_time_zone_tables, time_zone_problem

pytestmark = pytest.mark.django_db


def zone_the_server_lacks() -> str:
    """A zone Python knows and the database server has no data for."""
    # Its own connection: reading the (non-transactional) mysql tables inside
    # the test's transaction would make MariaDB refuse the next SAVEPOINT.
    db = connection.settings_dict
    server = MySQLdb.connect(host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306), user=db["USER"], password=db["PASSWORD"] or "")
    try:
        cursor = server.cursor()
        cursor.execute("SELECT Name FROM mysql.time_zone_name")
        loaded = {row[0] for row in cursor.fetchall()}
    finally:
        server.close()
    lacking = sorted(zone for zone in zoneinfo.available_timezones() if zone not in loaded)
    assert lacking, "every Python time zone is loaded in the server: this test needs one that is not"
    return lacking[0]


def test_the_loaded_zone_converts():
    assert connection.vendor == "mysql"
    assert missing_time_zone_tables(zone="Africa/Kampala") is None
    assert check_time_zone_tables(databases=["default"]) == []


def test_a_zone_the_server_lacks_is_reported_with_how_to_load_it():
    zone = zone_the_server_lacks()
    problem = missing_time_zone_tables(zone=zone)
    assert problem and f"'{zone}'" in problem and "mysql_tzinfo_to_sql" in problem


def test_migrate_and_check_refuse_to_go_on_without_the_tables():
    zone = zone_the_server_lacks()
    with override_settings(TIME_ZONE=zone):
        errors = check_time_zone_tables(databases=["default"])
        assert [e.id for e in errors] == ["core.E010"]
        # `migrate` runs the database-tagged checks the same way.
        with pytest.raises(SystemCheckError, match="core.E010"):
            call_command("check", databases=["default"])
        # Without naming a database (gunicorn, the worker) nothing is asked.
        call_command("check")
        assert time_zone_problem() is not None
    assert time_zone_problem() is None
