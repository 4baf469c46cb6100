"""get_or_fetch: local table, then the core database, then mapper.csv."""
from __future__ import annotations

import pytest
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, RelationshipManager
from customers.services import customer_create
from details.choices import DetailsSource, SyncStatus
from details.models import CustomerDetails
from details.services import CoreDatabaseUnavailable, UnknownRunId, get_or_fetch, get_or_fetch_many

from .conftest import CoreDown

pytestmark = pytest.mark.django_db(databases=["default", "flow_api"])


def test_fetched_from_core_is_stored_and_linked_to_a_new_customer(flow_api):
    details = get_or_fetch("run-direct-lead")
    stored = CustomerDetails.objects.get(run_id="run-direct-lead")
    assert stored.pk == details.pk
    assert (stored.source, stored.sync_status) == (DetailsSource.CORE_DB, SyncStatus.SYNCED)
    assert stored.synced_at is not None
    assert stored.lead_national_id == "CM90012345ABCD"
    customer = stored.customer
    assert customer.cust_id == "UFLW-706015809"
    assert customer.business_name == "Mukasa General Store"
    assert customer.primary_phone == "+256706015809"
    assert stored.relationship_manager.full_name == "Peter Okello"
    assert stored.relationship_manager.person_id == 9003


def test_local_row_answers_without_asking_core(flow_api):
    get_or_fetch("run-direct-reassess")
    with CaptureQueriesContext(flow_api) as core_queries:
        details = get_or_fetch("run-direct-reassess")
    assert details.borrower_biz_name == "Wasswa Electronics"
    assert len(core_queries) == 0


def test_existing_loan_book_customer_with_same_phone_is_claimed(flow_api):
    existing = customer_create(full_name="Sarah Mukasa", primary_phone="0706 015 809")
    details = get_or_fetch("run-direct-lead")
    existing.refresh_from_db()
    assert existing.cust_id == "UFLW-706015809"
    assert details.customer_id == existing.pk
    assert Customer.objects.count() == 1


def test_same_borrower_twice_is_one_customer(flow_api):
    get_or_fetch("run-direct-lead")
    CustomerDetails.objects.filter(run_id="run-direct-lead").update(customer=None)
    details = get_or_fetch_many(["run-direct-lead", "run-cs-lead"]).details
    assert Customer.objects.filter(cust_id="UFLW-706015809").count() == 1
    assert details["run-cs-lead"].customer.cust_id == "UFLW-706000003"


def test_lead_without_borrower_creates_no_customer(flow_api):
    details = get_or_fetch("run-no-borrower")
    assert details.cust_id == "UFLW-706000006" and details.customer_id is None
    assert not Customer.objects.exists()


def test_missing_rm_creates_no_relationship_manager(flow_api):
    details = get_or_fetch("run-missing-rm")
    assert details.relationship_manager_id is None and details.rm_name == ""
    assert not RelationshipManager.objects.filter(person_id__in=[7777, 8888]).exists()


def test_unknown_to_core_falls_back_to_mapper(flow_api, mapper_csv):
    details = get_or_fetch("run-mapper-only")
    assert (details.source, details.sync_status) == (DetailsSource.MAPPER, SyncStatus.NOT_FOUND)
    assert details.acc_number == "256701234567" and details.rm_name == "EBRAN BRIGHT"
    assert details.created_by_rm_id == 9001


def test_unknown_everywhere_is_a_clear_error_and_stores_nothing(flow_api, mapper_csv):
    with pytest.raises(UnknownRunId, match="unknown run_id 'run-unknown'"):
        get_or_fetch("run-unknown")
    assert not CustomerDetails.objects.filter(run_id="run-unknown").exists()


def test_without_core_database_mapper_is_used(no_flow_api, mapper_csv):
    details = get_or_fetch("run-mapper-only")
    assert details.source == DetailsSource.MAPPER and details.sync_status == SyncStatus.PENDING
    assert "core database not configured" in details.sync_error
    with pytest.raises(UnknownRunId, match="core database not configured"):
        get_or_fetch("run-direct-lead-not-in-mapper")


def test_core_down_mapper_row_is_pending_and_unknown_raises_unavailable(flow_api, mapper_csv):
    with CoreDown():
        details = get_or_fetch("run-mapper-only")
        assert details.sync_status == SyncStatus.PENDING and "core database unavailable" in details.sync_error
        with pytest.raises(CoreDatabaseUnavailable):
            get_or_fetch("run-cs-lead")
        placeholder = get_or_fetch("run-cs-lead", placeholders=True)
        assert placeholder.sync_status == SyncStatus.PENDING and placeholder.cust_id == ""
    # Core back: the pending row is asked again and filled in.
    details = get_or_fetch("run-cs-lead")
    assert details.sync_status == SyncStatus.SYNCED and details.borrower_id == 503


def test_many_run_ids_cost_a_few_core_queries(flow_api):
    run_ids = ["run-direct-lead", "run-direct-reassess", "run-cs-lead", "run-cs-reassess", "run-no-cust",
               "run-no-borrower", "run-missing-rm", "run-unknown"]
    with CaptureQueriesContext(flow_api) as core_queries:
        outcome = get_or_fetch_many(run_ids)
    assert outcome.unknown == {"run-unknown"}
    assert len(outcome.details) == 7
    assert len([q for q in core_queries.captured_queries if q["sql"].startswith("SELECT")]) == 6
