"""The dashboard on a database without time-zone data for TIME_ZONE: the real
server is asked about a zone it lacks (core/tests/test_timezones.py), and the
page and the API say why and how to fix it instead of drawing (on a server
with no tables at all, CONVERT_TZ to a named zone is NULL, every call's day is
None and the charts raised a 500)."""
import pytest
from django.db import connection

from calls.tests.factories import CallSessionFactory
from core.tests.test_timezones import zone_the_server_lacks

pytestmark = pytest.mark.django_db


def test_the_dashboard_and_the_chart_api_explain_missing_time_zone_tables(client, ops_admin, ops_client, settings):
    CallSessionFactory(status="completed")
    zone = zone_the_server_lacks()
    settings.TIME_ZONE = zone
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONVERT_TZ(NOW(), 'UTC', %s)", [zone])
        assert cursor.fetchone() == (None,)

    client.force_login(ops_admin)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="charts-unavailable"' in html and "mysql_tzinfo_to_sql" in html and f"&#x27;{zone}&#x27;" in html
    assert 'id="call-charts"' not in html

    body = ops_client.get("/api/v1/dashboard/call-charts/").json()
    assert body["labels"] == [] and "mysql_tzinfo_to_sql" in body["unavailable"]


def test_with_the_tables_the_charts_are_drawn_and_say_nothing_of_it(client, ops_admin, ops_client):
    CallSessionFactory(status="completed")
    client.force_login(ops_admin)
    html = client.get("/dashboard/").content.decode()
    assert 'id="call-charts"' in html and "charts-unavailable" not in html
    body = ops_client.get("/api/v1/dashboard/call-charts/").json()
    assert "unavailable" not in body and sum(sum(s["data"]) for s in body["outcomes"]) == 1
