"""Customer details API (list filters, detail via get_or_fetch, statistics) and admin."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from details.models import CustomerDetails
from details.services import get_or_fetch_many

from .conftest import FIXTURES, CoreDown

pytestmark = pytest.mark.django_db(databases=["default", "flow_api"])
URL = "/api/v1/customer-details/"


@pytest.fixture
def loaded(flow_api):
    call_command("populate_customer_details", "--csv-file", str(FIXTURES / "customer_details" / "customer_details_sample.csv"), verbosity=0, stdout=None)
    get_or_fetch_many(["run-direct-lead", "run-cs-reassess", "run-no-borrower"])


def run_ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["run_id"] for row in response.json()["results"]}


def test_list_filters(loaded, reader_client):
    assert run_ids(reader_client.get(URL, {"cust_id": "UFLW-772000004"})) == {"run-cs-reassess"}
    assert run_ids(reader_client.get(URL, {"risk_category": "high_risk", "provider": "UMTN", "source": "core_db"})) == {"run-cs-reassess"}
    assert run_ids(reader_client.get(URL, {"borrower_status": "disabled", "source": "core_db"})) == {"run-cs-reassess"}
    # Current RM of two borrowers, and the RM who requested run-no-borrower.
    assert run_ids(reader_client.get(URL, {"rm": "okello", "source": "core_db"})) == {"run-direct-lead", "run-cs-reassess", "run-no-borrower"}
    assert run_ids(reader_client.get(URL, {"final_entity_type": "reassessment_result", "source": "core_db"})) == {"run-cs-reassess"}
    assert run_ids(reader_client.get(URL, {"has_borrower": "false", "source": "core_db"})) == {"run-no-borrower"}
    assert reader_client.get(URL, {"provider": "XXXX"}).status_code == 400


def test_list_query_count_does_not_grow_with_rows(loaded, reader_client):
    with CaptureQueriesContext(connection) as queries:
        response = reader_client.get(URL)
    assert response.json()["count"] == 13
    assert len(queries) <= 6


def test_detail_fetches_from_core_on_demand(flow_api, reader_client):
    response = reader_client.get(f"{URL}run-cs-lead/")
    assert response.status_code == 200
    body = response.json()
    assert body["cust_id"] == "UFLW-706000003" and body["source"] == "core_db"
    assert "lead_national_id" not in body and "lead_id_proof_num" not in body
    assert CustomerDetails.objects.filter(run_id="run-cs-lead").exists()


def test_detail_unknown_is_404_with_reason(flow_api, reader_client):
    response = reader_client.get(f"{URL}run-unknown/")
    assert response.status_code == 404
    assert "unknown run_id 'run-unknown'" in response.json()["detail"]


def test_detail_core_down_is_503(flow_api, reader_client):
    with CoreDown():
        response = reader_client.get(f"{URL}run-cs-lead/")
    assert response.status_code == 503
    assert "core database unavailable" in response.json()["detail"]


def test_statistics_endpoint(loaded, reader_client):
    body = reader_client.get(f"{URL}statistics/").json()
    assert body["total"] == 13
    assert body["with_cust_id"] == {"count": 12, "percent": 92.3}
    assert body["with_borrower"] == {"count": 10, "percent": 76.9}
    filtered = reader_client.get(f"{URL}statistics/", {"provider": "UMTN"}).json()
    assert filtered["total"] == 6 and filtered["by_provider"] == [{"value": "UMTN", "count": 6, "percent": 100.0}]


def test_permissions(loaded, api_client, outsider_client, reader_client):
    assert api_client.get(URL).status_code == 401
    assert outsider_client.get(URL).status_code == 403
    assert outsider_client.get(f"{URL}statistics/").status_code == 403
    assert outsider_client.get(f"{URL}run-direct-lead/").status_code == 403
    assert reader_client.post(URL, {"run_id": "x"}).status_code in (403, 405)


def test_admin_changelist_shows_statistics(loaded, client, ops_admin):
    client.force_login(ops_admin)
    response = client.get("/admin/details/customerdetails/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="customer-details-statistics"' in html
    assert "Total statements</th><td>13" in html
    filtered = client.get("/admin/details/customerdetails/", {"acc_prvdr_code__exact": "UMTN"}).content.decode()
    assert "Statistics (filtered)" in filtered and "Total statements</th><td>6" in filtered


def test_admin_refresh_action_rereads_core(loaded, client, ops_admin):
    CustomerDetails.objects.filter(run_id="run-direct-lead").update(risk_category="stale", content_hash="")
    client.force_login(ops_admin)
    pk = CustomerDetails.objects.get(run_id="run-direct-lead").pk
    response = client.post(
        "/admin/details/customerdetails/", {"action": "refresh_from_core", "_selected_action": [pk]}, follow=True
    )
    assert "1 refreshed from the core database" in response.content.decode()
    assert CustomerDetails.objects.get(run_id="run-direct-lead").risk_category == "low_risk"
