"""Batch calls: an upload's rows, a list, or a filter."""
import pytest

from calls.models import CallSession
from calls.tests.factories import CallSessionFactory, CustomerFactory, DebtFactory, FileUploadFactory, UploadRowFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/calls/batch/"


def test_batch_from_upload_rows_records_batch_and_row(agent_client, django_capture_on_commit_callbacks):
    upload = FileUploadFactory()
    debts = [DebtFactory() for _ in range(3)]
    rows = [UploadRowFactory(file_upload=upload, matched_customer=d.customer, matched_debt=d) for d in debts]
    unmatched = UploadRowFactory(file_upload=upload)
    dnc = DebtFactory(customer=CustomerFactory(do_not_call=True))
    dnc_row = UploadRowFactory(file_upload=upload, matched_customer=dnc.customer, matched_debt=dnc)
    repeat = UploadRowFactory(file_upload=upload, matched_customer=debts[0].customer, matched_debt=debts[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(URL, {"upload": upload.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["created"]) == 3
    reasons = {s["row"]: s["reason"] for s in body["skipped"]}
    assert reasons[unmatched.pk] == "row matched no customer"
    assert "do-not-call" in reasons[dnc_row.pk]
    assert "already in this batch" in reasons[repeat.pk]
    sessions = CallSession.objects.filter(pk__in=body["created"]).order_by("triggered_by_row__line_number")
    assert [(s.triggered_by_batch_id, s.triggered_by_row_id, s.debt_id) for s in sessions] == [(upload.pk, r.pk, r.matched_debt_id) for r in rows]
    # The dispatcher ran (eager, simulator): every call was placed and played out.
    assert all(s.call_sid and s.status != "scheduled" for s in sessions)


def test_running_the_same_batch_twice_calls_nobody_twice(agent_client):
    upload = FileUploadFactory()
    d = DebtFactory()
    UploadRowFactory(file_upload=upload, matched_customer=d.customer, matched_debt=d)
    assert len(agent_client.post(URL, {"upload": upload.pk}, format="json").json()["created"]) == 1
    again = agent_client.post(URL, {"upload": upload.pk}, format="json").json()
    assert again["created"] == [] and "already has call" in again["skipped"][0]["reason"]


def test_batch_by_filter_on_branch(agent_client):
    gulu = [DebtFactory(branch="Gulu") for _ in range(2)]
    DebtFactory(branch="Lira")
    body = agent_client.post(URL, {"filter": {"branch": "Gulu", "status": "ready"}}, format="json").json()
    assert sorted(CallSession.objects.filter(pk__in=body["created"]).values_list("debt_id", flat=True)) == sorted(d.pk for d in gulu)


def test_batch_by_customer_list_skips_open_calls(agent_client):
    a, b = CustomerFactory(), CustomerFactory()
    open_call = CallSessionFactory(customer=b, status="in-progress", call_sid="zz")
    body = agent_client.post(URL, {"customers": [a.pk, b.pk]}, format="json").json()
    assert len(body["created"]) == 1 and f"#{open_call.pk}" in body["skipped"][0]["reason"]


@pytest.mark.parametrize("payload", [{}, {"upload": 1, "customers": [1]}, {"rows": [1]}])
def test_batch_needs_exactly_one_source(agent_client, payload):
    assert agent_client.post(URL, payload, format="json").status_code == 400


def test_reader_cannot_run_a_batch(reader_client):
    assert reader_client.post(URL, {"customers": [1]}, format="json").status_code == 403
