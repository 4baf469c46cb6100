"""The whole flow on real services: a Celery worker process on Redis and
MariaDB, a fake Exotel over HTTP, callbacks into our live server.

loan-book upload → customers and debts → batch calls on Exotel → webhooks →
communication logs; statement upload → verification → enrichment → unified
view (seed 000's SQL, unchanged); every count checked at the end.
"""
import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from calls.models import CallSession, CallStatusUpdate
from customers.models import Customer
from debts.models import CommunicationLog, Debt
from details.models import CustomerDetails
from statements.models import Statement, StatementImport
from tests.e2e.conftest import wait_until
from uploads.models import FileUpload, UploadRow

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


SEED_000_SQL = """
SELECT
    run_id, acc_number, status, verification_status,
    borrower_biz_name, tot_loans, tot_default_loans, risk_category, current_fa_limit, borrower_status,
    duplicate_count, quality_issues_count
FROM unified_statements
WHERE status IN ('FLAGGED', 'VERIFICATION_FAILED')
    AND cust_id IS NOT NULL
ORDER BY tot_default_loans DESC, risk_category DESC
LIMIT 20
"""


def test_statements_to_verification_to_enrichment_to_unified_view(ops_client, celery_worker, tmp_path):
    samples = Path(settings.BASE_DIR) / "fixtures" / "statements" / "samples"
    # Each request names the account its file is for (a file for another
    # account is a forensic signal, account_mismatch).
    for run_id, name, defaults, acc in (("68e92f3cbd39c", "Mukasa Hardware", 3, "701234567"), ("68e92f3cbd40a", "Akello Traders", 0, "706015809")):
        CustomerDetails.objects.create(
            run_id=run_id, acc_prvdr_code="UATL", acc_number=acc, cust_id=f"UFLW-{run_id[-4:]}", borrower_id=500 + defaults,
            borrower_biz_name=name, tot_loans=12, tot_default_loans=defaults, risk_category="high" if defaults else "low",
            current_fa_limit=Decimal("3000000"), borrower_status="enabled", current_rm_name="Ebran Bright", source="csv",
        )

    jobs = []
    for run_id, name in (("68e92f3cbd39c", "airtel_f1_tampered_edited_balance.pdf"), ("68e92f3cbd40a", "airtel_f1_genuine.pdf"),
                         ("", "bad_truncated.pdf")):
        with (samples / name).open("rb") as handle:
            response = ops_client.post(reverse("api:statement-list"), {"files": [handle], "run_id": run_id}, format="multipart")
        assert response.status_code == 202, response.content
        jobs.append(response.json()["id"])

    wait_until(
        lambda: StatementImport.objects.filter(pk__in=jobs, status__in=["completed", "completed_with_errors", "failed"]).count() == 3,
        message="the worker to finish the three import jobs",
    )
    assert Statement.objects.count() == 3
    flagged = Statement.objects.get(run_id="68e92f3cbd39c")
    assert flagged.status == "FLAGGED" and flagged.summary.balance_match == "Failed"
    assert flagged.cust_id == "UFLW-d39c" and flagged.customer_details.borrower_biz_name == "Mukasa Hardware"
    genuine = Statement.objects.get(run_id="68e92f3cbd40a")
    assert genuine.status == "VERIFIED" and genuine.summary.verification_status == "PASS"
    broken = Statement.objects.get(file_name="bad_truncated.pdf")
    assert broken.status == "IMPORT_FAILED" and broken.failure_reason
    assert not broken.raw_transactions.exists()

    with connection.cursor() as cursor:
        cursor.execute(SEED_000_SQL)
        rows = cursor.fetchall()
    assert [(r[0], r[2], r[4], r[6]) for r in rows] == [("68e92f3cbd39c", "FLAGGED", "Mukasa Hardware", 3)]
