"""The core lending database alias refuses every write, however it is sent."""
import copy

import pytest
from django.db import connections

from core.routers import FLOW_API_ALIAS, FlowApiRouter, ReadOnlyDatabaseError
from customers.tests.factories import CustomerFactory


@pytest.fixture(scope="module", autouse=True)
def _flow_alias_defined(django_db_setup, django_db_blocker):
    """A ``flow_api`` alias pointing at the test database itself: the guard
    must stop writes before they reach any server. Added before the test
    databases are checked, as customers/tests/details/conftest.py does."""
    added = FLOW_API_ALIAS not in connections
    if added:
        alias = copy.deepcopy(connections["default"].settings_dict)
        alias["TEST"] = {**alias.get("TEST", {}), "MIRROR": None}
        connections.settings[FLOW_API_ALIAS] = alias
    yield
    if added:
        connections[FLOW_API_ALIAS].close()
        del connections[FLOW_API_ALIAS]
        del connections.settings[FLOW_API_ALIAS]


@pytest.fixture
def flow_alias():
    return connections[FLOW_API_ALIAS]


@pytest.mark.django_db(databases=["default", FLOW_API_ALIAS])
@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO borrowers (id) VALUES (1)",
        "update borrowers set status = 'x'",
        "DELETE FROM leads",
        "CREATE TABLE django_migrations (id int)",
        "DROP TABLE persons",
        "REPLACE INTO persons VALUES (1)",
        "  truncate table leads",
    ],
)
def test_writes_are_refused(flow_alias, sql):
    with pytest.raises(ReadOnlyDatabaseError, match="read-only"):
        with flow_alias.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.django_db(databases=["default", FLOW_API_ALIAS])
def test_orm_save_with_explicit_alias_is_refused(flow_alias):
    customer = CustomerFactory.build()
    with pytest.raises(ReadOnlyDatabaseError):
        customer.save(using=FLOW_API_ALIAS)


@pytest.mark.django_db(databases=["default", FLOW_API_ALIAS])
def test_reads_go_through(flow_alias):
    with flow_alias.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_router_never_migrates_the_core_database():
    router = FlowApiRouter()
    assert router.allow_migrate(FLOW_API_ALIAS, "customers") is False
    assert router.allow_migrate("default", "customers") is None
