"""The whole flow on real services: a Celery worker process on Redis and
MariaDB, a fake Exotel over HTTP, callbacks into our live server.

loan-book upload → customers and debts → batch calls on Exotel → webhooks →
communication logs; every count checked at the end.
"""
import csv

import pytest
from django.urls import reverse

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HEADER = ["name", "phone", "loan_id", "amount", "due_date", "state", "Cluster", "Branch", "Branch Contact Number",
          "Employee", "Employee ID", "Employee Contact Number", "Last Paid Date", "Last Paid Amount", "Due Amount"]


def _loan_book(path, customers=6, loans_each=2, bad_rows=1):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for c in range(customers):
            for loan in range(loans_each):
                writer.writerow([f"Customer {c} Mukasa", f"0772 10{c:04d}", f"E2E-{c:02d}-{loan}", f"{(c + 1) * 100_000:,}",
                                 "2024-01-15", "Central", "Kampala Cluster", f"Branch {c % 2}", "0414 123456",
                                 f"Agent {c % 3}", f"EMP{c % 3:03d}", "0772 000 111", "2023-12-10", "5,000", "50,000"])
        for b in range(bad_rows):
            writer.writerow([f"Broken {b}", "not a phone", f"E2E-BAD-{b}", "lots", "someday"] + [""] * 10)


def test_loan_book_to_calls_to_communication_logs(ops_client, celery_worker, fake_exotel, tmp_path):
    from calls.models import CallSession, CallStatusUpdate
    from customers.models import Customer
    from debts.models import CommunicationLog, Debt
    from uploads.models import FileUpload, UploadRow

    fake_exotel.auto_callbacks = [
        {"Status": "in-progress", "EventType": "answered"},
        {"Status": "completed", "EventType": "terminal", "ConversationDuration": "61",
         "RecordingUrl": "https://recordings.exotel.com/e2e.mp3"},
    ]
    book = tmp_path / "loan_book.csv"
    _loan_book(book)

    with book.open("rb") as handle:
        response = ops_client.post(reverse("api:upload-list"), {"file": handle}, format="multipart")
    assert response.status_code == 202, response.content
    upload_id = response.json()["id"]

    upload = wait_until(
        lambda: FileUpload.objects.filter(pk=upload_id, status__in=["completed", "completed_with_errors"]).first(),
        message="the worker to finish the upload",
    )
    assert (upload.total_records, upload.success_records, upload.failed_records) == (13, 12, 1)
    assert Customer.objects.count() == 6
    assert Debt.objects.count() == 12
    assert UploadRow.objects.filter(file_upload=upload).count() == 13
    failed = UploadRow.objects.get(file_upload=upload, status="failed")
    assert "phone" in failed.error.lower() or "amount" in failed.error.lower()

    response = ops_client.post(reverse("api:call-batch"), {"upload": upload_id}, format="json")
    assert response.status_code in (200, 201, 202), response.content
    created = response.json()["created"]
    assert len(created) == 6  # one call per customer, not per loan row

    wait_until(
        lambda: CallSession.objects.filter(pk__in=created, status="completed").count() == 6,
        timeout=120,
        message="all six calls to complete through Exotel's callbacks",
    )
    assert len(fake_exotel.connect_requests()) == 6
    for call in CallSession.objects.filter(pk__in=created):
        assert call.call_sid and call.triggered_by_batch_id == upload_id
        assert call.duration_seconds == 61
        statuses = list(CallStatusUpdate.objects.filter(call_session=call).values_list("status", flat=True))
        assert statuses.count("completed") == 1 and "in-progress" in statuses
    logs = CommunicationLog.objects.filter(call_session_id__in=created)
    assert logs.count() == 6
    assert set(logs.values_list("communication_type", "direction", "duration_seconds")) == {("CALL", "outbound", 61)}
    assert Customer.objects.filter(last_contact_date__isnull=False).count() == 6
