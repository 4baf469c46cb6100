"""Statements API: filters, ordering, pagination, detail, transactions,
analytics — read by the roles that use them."""
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from statements.choices import BalanceMatch, StatementStatus, TamperingLevel, VerificationStatus
from statements.models import Statement
from statements.tests.ops_factories import make_details, make_statement

pytestmark = pytest.mark.django_db
LIST = "/api/v1/statements/"


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_filters_by_provider_account_and_statuses(reader_client):
    uatl = make_statement(provider="UATL", acc_number="706015809")
    umtn = make_statement(provider="UMTN", status=StatementStatus.FLAGGED, verification_status=VerificationStatus.FAIL, balance_match=BalanceMatch.FAILED)
    fatal = make_statement(status=StatementStatus.FLAGGED, tampering_level=TamperingLevel.FATAL)
    warn = make_statement(status=StatementStatus.VERIFIED_WITH_WARNINGS, verification_status=VerificationStatus.WARNING, duplicate_count=1)
    failed = make_statement(status=StatementStatus.IMPORT_FAILED, with_summary=False)

    assert _ids(reader_client.get(LIST, {"provider": "UMTN"})) == {umtn.pk}
    assert _ids(reader_client.get(LIST, {"acc_prvdr_code": "UATL"})) == {uatl.pk, fatal.pk, warn.pk, failed.pk}
    # Both forms of the number find the account (stored as 9 digits).
    assert _ids(reader_client.get(LIST, {"acc_number": "256706015809"})) == {uatl.pk}
    assert _ids(reader_client.get(LIST, {"acc_number": "706015809"})) == {uatl.pk}
    assert _ids(reader_client.get(LIST, {"status": ["FLAGGED", "IMPORT_FAILED"]})) == {umtn.pk, fatal.pk, failed.pk}
    assert _ids(reader_client.get(LIST, {"verification_status": "WARNING"})) == {warn.pk}
    assert _ids(reader_client.get(LIST, {"tampering_level": "FATAL"})) == {fatal.pk}
    assert _ids(reader_client.get(LIST, {"balance_match": "Failed"})) == {umtn.pk}


def test_list_filters_by_dates_rm_and_customer(reader_client):
    details = make_details(cust_id="CUST-77", current_rm_name="Grace Current")
    early = make_statement(start=datetime(2024, 1, 5, tzinfo=UTC), rm_name="EBRAN BRIGHT")
    late = make_statement(start=datetime(2025, 9, 1, tzinfo=UTC), details=details)
    Statement.objects.filter(pk=early.pk).update(created_at=datetime(2024, 2, 1, tzinfo=UTC))

    assert _ids(reader_client.get(LIST, {"period_from": "2025-01-01"})) == {late.pk}
    assert _ids(reader_client.get(LIST, {"period_to": "2024-12-31"})) == {early.pk}
    assert _ids(reader_client.get(LIST, {"txn_from": "2025-08-01T00:00:00Z"})) == {late.pk}
    assert _ids(reader_client.get(LIST, {"created_before": "2024-06-01T00:00:00Z"})) == {early.pk}
    assert _ids(reader_client.get(LIST, {"created_after": "2024-06-01T00:00:00Z"})) == {late.pk}
    assert _ids(reader_client.get(LIST, {"rm": "ebran"})) == {early.pk}
    assert _ids(reader_client.get(LIST, {"rm": "grace"})) == {late.pk}
    assert _ids(reader_client.get(LIST, {"cust_id": "CUST-77"})) == {late.pk}
    assert _ids(reader_client.get(LIST, {"has_customer": "true"})) == {late.pk}


def test_list_rejects_an_unknown_choice(reader_client):
    response = reader_client.get(LIST, {"status": "NOT_A_STATUS"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_list_orders_by_summary_figures(reader_client):
    low = make_statement(change_ratio="0.05")
    high = make_statement(change_ratio="0.60")
    mid = make_statement(change_ratio="0.20")
    rows = reader_client.get(LIST, {"ordering": "-summary__balance_diff_change_ratio"}).json()["results"]
    assert [r["id"] for r in rows] == [high.pk, mid.pk, low.pk]
    assert rows[0]["balance_diff_change_ratio"] == "0.600000"


def test_list_is_paginated_and_query_count_does_not_grow_with_page_size(reader_client):
    for i in range(12):
        make_statement(txns=1, details=make_details(cust_id=f"C{i}") if i % 2 else None)
    counts = {}
    for size in (2, 12):
        with CaptureQueriesContext(connection) as ctx:
            response = reader_client.get(LIST, {"page_size": size, "provider": "UATL", "status": "VERIFIED"})
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 12 and len(body["results"]) == size
        counts[size] = len(ctx.captured_queries)
    assert counts[2] == counts[12]


def test_detail_has_metadata_summary_and_borrower(reader_client):
    details = make_details(cust_id="CUST-5", borrower_biz_name="Gulu Traders", tot_default_loans=2, risk_category="high")
    statement = make_statement(details=details, status=StatementStatus.FLAGGED, verification_status=VerificationStatus.FAIL, duplicate_count=1)
    body = reader_client.get(f"{LIST}{statement.pk}/").json()
    assert body["acc_number"] == statement.acc_number and body["file_name"] == statement.file_name
    assert body["summary"]["verification_status"] == "FAIL" and body["summary"]["duplicate_count"] == 1
    assert body["borrower"]["borrower_biz_name"] == "Gulu Traders" and body["borrower"]["tot_default_loans"] == 2
    assert body["processed_transactions_url"].endswith(f"/statements/{statement.pk}/processed-transactions/")


def test_statement_transactions_raw_and_processed_in_order(analyst_client):
    # Transaction-level reads need statements.download_statement (test_transaction_reads).
    statement = make_statement(txns=7, duplicate_count=1)
    make_statement(txns=3)  # another statement's rows stay out
    raw = analyst_client.get(f"{LIST}{statement.pk}/raw-transactions/", {"page_size": 5}).json()
    assert raw["count"] == 7
    assert [r["row_number"] for r in raw["results"]] == [1, 2, 3, 4, 5]
    assert raw["results"][0]["raw_amount"] == "1,000"
    processed = analyst_client.get(f"{LIST}{statement.pk}/processed-transactions/", {"page": 2, "page_size": 5}).json()
    assert [r["sequence"] for r in processed["results"]] == [6, 7]
    first = analyst_client.get(f"{LIST}{statement.pk}/processed-transactions/").json()["results"][0]
    assert first["is_duplicate"] is True and first["calculated_running_balance"] == "101000.00"


def test_roles_reading_statements(api_client, outsider_client, agent_client):
    make_statement()
    assert api_client.get(LIST).status_code == 401
    assert outsider_client.get(LIST).status_code == 403
    assert agent_client.get(LIST).status_code == 200


def test_analytics_per_provider_and_accounts_under_two_providers(reader_client):
    make_statement(provider="UATL", acc_number="700000001", duplicate_count=2, change_ratio="0.1")
    make_statement(provider="UATL", acc_number="700000002", balance_match=BalanceMatch.FAILED, status=StatementStatus.FLAGGED, change_ratio="0.3")
    make_statement(provider="UATL", status=StatementStatus.IMPORT_FAILED, with_summary=False)
    make_statement(provider="UMTN", acc_number="700000001", duplicate_count=1, change_ratio="0.5")
    body = reader_client.get(f"{LIST}analytics/").json()
    uatl, umtn = body["providers"]
    assert uatl == {
        "acc_prvdr_code": "UATL", "total_statements": 3, "distinct_run_ids": 3, "total_transactions": 6, "total_duplicates": 2,
        "avg_balance_diff_change_ratio": 0.2, "failed_verifications": 1, "flagged": 1, "import_failed": 1,
    }
    assert (umtn["acc_prvdr_code"], umtn["total_statements"], umtn["total_duplicates"]) == ("UMTN", 1, 1)
    assert body["multi_provider_account_count"] == 1
    assert body["multi_provider_accounts"] == [{"acc_number": "700000001", "providers": ["UATL", "UMTN"], "statement_count": 2}]
    # Filters narrow the analytics like the list.
    only_umtn = reader_client.get(f"{LIST}analytics/", {"provider": "UMTN"}).json()
    assert [p["acc_prvdr_code"] for p in only_umtn["providers"]] == ["UMTN"]
