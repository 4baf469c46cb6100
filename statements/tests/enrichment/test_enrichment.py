"""Statements get their customer details; a down core database never stops an import."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext

from details.choices import SyncStatus
from details.models import CustomerDetails
from details.tasks import retry_pending_customer_details
from statements.enrichment import statement_enrich
from statements.models import Statement

from .conftest import CoreDown

pytestmark = pytest.mark.django_db(databases=["default", "flow_api"])


def make_statement(run_id: str, n: int = 0) -> Statement:
    return Statement.objects.create(run_id=run_id, acc_prvdr_code="UATL", file_name=f"{run_id}-{n}.pdf")


def test_statement_gets_details_customer_cust_id_and_rm(flow_api):
    statement = statement_enrich(statement=make_statement("run-cs-reassess"))
    statement.refresh_from_db()
    assert statement.customer_details.run_id == "run-cs-reassess"
    assert statement.cust_id == "UFLW-772000004"
    assert statement.customer.cust_id == "UFLW-772000004"
    assert statement.rm_name == "Grace Nakato Akello"
    assert statement.enriched_at is not None


def test_unsaved_statement_is_filled_in_not_saved(flow_api):
    statement = Statement(run_id="run-direct-lead", acc_prvdr_code="UATL", file_name="x.pdf")
    statement_enrich(statement=statement)
    assert statement.pk is None and statement.cust_id == "UFLW-706015809"


def test_core_down_import_goes_on_and_retry_task_fills_in(flow_api):
    with CoreDown():
        statement = statement_enrich(statement=make_statement("run-direct-reassess"))
    statement.refresh_from_db()
    assert statement.customer_details.sync_status == SyncStatus.PENDING
    assert statement.cust_id == "" and statement.enriched_at is None

    summary = retry_pending_customer_details()
    assert summary["synced"] == 1 and summary["still_pending"] == 0
    statement.refresh_from_db()
    assert statement.customer_details.sync_status == SyncStatus.SYNCED
    assert statement.cust_id == "UFLW-772000002" and statement.enriched_at is not None


def test_retry_marks_run_ids_the_core_never_had(flow_api):
    with CoreDown():
        statement_enrich(statement=make_statement("run-unknown"))
    assert CustomerDetails.objects.get(run_id="run-unknown").sync_status == SyncStatus.PENDING
    retry_pending_customer_details()
    assert CustomerDetails.objects.get(run_id="run-unknown").sync_status == SyncStatus.NOT_FOUND


def test_without_core_unknown_statement_stays_unenriched(no_flow_api):
    statement = statement_enrich(statement=make_statement("run-direct-lead"))
    statement.refresh_from_db()
    assert statement.customer_details is None and statement.enriched_at is None


def test_enrich_statements_command_backfills_with_bounded_core_queries(flow_api):
    run_ids = ["run-direct-lead", "run-direct-reassess", "run-cs-lead", "run-cs-reassess", "run-no-cust",
               "run-no-borrower", "run-missing-rm", "run-unknown"]
    for i in range(5):
        for run_id in run_ids:
            make_statement(run_id, i)
    out, err = io.StringIO(), io.StringIO()
    with CaptureQueriesContext(flow_api) as core_queries:
        call_command("enrich_statements", stdout=out, stderr=err, verbosity=0)
    assert "40 statements: 35 enriched, 0 pending (core database), 5 unknown run_id" in out.getvalue()
    assert len([q for q in core_queries.captured_queries if q["sql"].startswith("SELECT")]) == 6
    assert Statement.objects.filter(cust_id="UFLW-706015809").count() == 5
    assert Statement.objects.filter(customer__cust_id="UFLW-772000004").count() == 5

    out = io.StringIO()
    with CaptureQueriesContext(flow_api) as core_queries:
        call_command("enrich_statements", "--missing-only", stdout=out, stderr=io.StringIO(), verbosity=0)
    # Only the 5 unknown ones are left, and they are asked again.
    assert "5 statements: 0 enriched, 0 pending (core database), 5 unknown run_id" in out.getvalue()
    assert "0 updated" in out.getvalue()


def test_enrich_statements_without_core_says_so(no_flow_api):
    make_statement("run-direct-lead")
    err = io.StringIO()
    call_command("enrich_statements", stdout=io.StringIO(), stderr=err, verbosity=0)
    assert "core database not configured" in err.getvalue()
