"""The core database reads: every entity-chain path through real SQL."""
from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.test.utils import CaptureQueriesContext

from details import flow_api as core

from .conftest import CoreDown, raw_connection

pytestmark = pytest.mark.django_db(databases=["default", "flow_api"])

ALL_KNOWN = ["run-direct-lead", "run-direct-reassess", "run-cs-lead", "run-cs-reassess", "run-no-cust", "run-no-borrower", "run-missing-rm"]


def test_direct_lead_resolves_to_borrower_with_rm_names(flow_api):
    d = core.fetch_details("run-direct-lead")
    assert (d["direct_entity_type"], d["direct_entity_id"]) == ("lead", 101)
    assert (d["final_entity_type"], d["final_entity_id"]) == ("lead", 101)
    assert d["customer_statement_id"] is None
    assert d["cust_id"] == "UFLW-706015809"
    assert d["lead_biz_name"] == "Mukasa General Store"
    assert d["lead_national_id"] == "CM90012345ABCD"
    assert d["borrower_id"] == 501
    assert d["tot_loans"] == 3 and d["tot_default_loans"] == 0
    assert d["current_fa_limit"] == Decimal("1500000.00")
    assert d["borrower_reg_date"] == date(2025, 9, 28)
    assert d["risk_category"] == "low_risk"
    assert d["rm_name"] == "Ebran Bright"
    assert d["registered_rm_name"] == "Grace Nakato Akello"
    assert d["current_rm_name"] == "Peter Okello"
    assert d["acc_prvdr_code"] == "UATL"
    # 09:15 in Kampala (UTC+3) is 06:15 UTC.
    assert d["request_created_at"] == datetime(2025, 10, 1, 6, 15, tzinfo=UTC)


def test_direct_reassessment_resolves_to_borrower(flow_api):
    d = core.fetch_details("run-direct-reassess")
    assert (d["direct_entity_type"], d["final_entity_type"], d["final_entity_id"]) == ("reassessment_result", "reassessment_result", 201)
    assert d["reassessment_id"] == 201
    assert d["reassessment_prev_limit"] == Decimal("1000000.00")
    assert d["reassessment_type"] == "limit_increase"
    assert d["lead_id"] is None and d["lead_biz_name"] == ""
    assert d["cust_id"] == "UFLW-772000002"
    assert d["borrower_biz_name"] == "Wasswa Electronics"
    assert d["tot_default_loans"] == 2
    assert d["alt_acc_num"] == "256700000002"


def test_customer_statement_to_lead(flow_api):
    d = core.fetch_details("run-cs-lead")
    assert (d["direct_entity_type"], d["direct_entity_id"], d["customer_statement_id"]) == ("customer_statement", 301, 301)
    assert (d["final_entity_type"], d["final_entity_id"]) == ("lead", 102)
    assert d["account_holder_name"] == "OKOTH JAMES"
    assert d["acc_ownership"] == "owned"
    assert d["cs_score"] == Decimal("712.50")
    assert d["cs_limit"] == Decimal("1500000.00")
    assert d["cust_id"] == "UFLW-706000003"
    assert d["borrower_id"] == 503


def test_customer_statement_to_reassessment(flow_api):
    d = core.fetch_details("run-cs-reassess")
    assert (d["direct_entity_type"], d["final_entity_type"], d["final_entity_id"]) == ("customer_statement", "reassessment_result", 202)
    assert d["account_holder_name"] == "NAMULI TRADERS"
    assert d["cs_prev_limit"] == Decimal("2500000.00")
    assert d["cust_id"] == "UFLW-772000004"
    assert d["risk_category"] == "high_risk"
    assert d["borrower_status"] == "disabled"


def test_lead_without_cust_id_has_no_borrower(flow_api):
    d = core.fetch_details("run-no-cust")
    assert d["final_entity_type"] == "lead" and d["lead_id"] == 103
    assert d["cust_id"] == ""
    assert d["borrower_id"] is None and d["borrower_biz_name"] == "" and d["current_rm_name"] == ""


def test_cust_id_without_borrower_row(flow_api):
    d = core.fetch_details("run-no-borrower")
    assert d["cust_id"] == "UFLW-706000006"
    assert d["borrower_id"] is None


def test_missing_rm_leaves_names_empty_keeps_ids(flow_api):
    d = core.fetch_details("run-missing-rm")
    assert d["borrower_id"] == 505
    assert (d["created_by_rm_id"], d["rm_name"]) == (8888, "")
    assert (d["registered_rm_id"], d["registered_rm_name"]) == (7777, "")
    assert (d["current_rm_id"], d["current_rm_name"]) == (None, "")


def test_unknown_run_id_is_absent(flow_api):
    assert core.fetch_details("run-unknown") is None


def test_a_batch_costs_six_queries_not_one_per_run_id(flow_api):
    with CaptureQueriesContext(flow_api) as queries:
        lookup = core.fetch_details_many(ALL_KNOWN + ["run-unknown"] * 3)
    assert sorted(lookup.details) == sorted(ALL_KNOWN)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == lookup.queries == 6
    assert all(" IN (" in sql for sql in selects)


def test_batch_size_splits_into_in_queries(flow_api):
    lookup = core.fetch_details_many(ALL_KNOWN, batch_size=4)
    assert len(lookup.details) == 7
    assert lookup.queries <= 12


def test_not_configured_is_a_clear_error(no_flow_api):
    with pytest.raises(core.FlowApiNotConfigured, match="core database not configured"):
        core.fetch_details_many(["run-direct-lead"])


def test_down_database_raises_unavailable(flow_api):
    with CoreDown(), pytest.raises(core.FlowApiUnavailable, match="core database unavailable"):
        core.fetch_details_many(["run-direct-lead"])
    assert core.fetch_details("run-direct-lead")["borrower_id"] == 501


# transaction=True: the test runner's transaction around flow_api would
# outlive the broken connection; in production nothing wraps it.
@pytest.mark.slow
@pytest.mark.django_db(databases=["default", "flow_api"], transaction=True)
def test_hanging_database_times_out(flow_api):
    """A core database that stops answering (here: a table locked by someone
    else) costs at most a few timeouts, then raises instead of hanging."""
    conn = flow_api
    conn.close()
    options = conn.settings_dict["OPTIONS"]
    saved = options.get("read_timeout")
    options["read_timeout"] = 1
    locker = raw_connection(conn.settings_dict, conn.settings_dict["NAME"])
    locker.cursor().execute("LOCK TABLES partner_acc_stmt_requests WRITE")
    try:
        started = time.monotonic()
        with pytest.raises(core.FlowApiUnavailable):
            core.fetch_details_many(["run-direct-lead"])
        assert time.monotonic() - started < 8
    finally:
        locker.cursor().execute("UNLOCK TABLES")
        locker.close()
        options["read_timeout"] = saved
        conn.close()
    # And the next call reconnects and works.
    assert core.fetch_details("run-direct-lead")["borrower_id"] == 501


def test_core_session_refuses_writes(flow_api):
    core.fetch_details("run-direct-lead")  # the connection as our code opens it
    with pytest.raises(DatabaseError, match="(?i)read.only"):
        with flow_api.cursor() as cursor:
            cursor.execute("UPDATE borrowers SET tot_loans = 99 WHERE id = 501")
    assert core.fetch_details("run-direct-lead")["tot_loans"] == 3

