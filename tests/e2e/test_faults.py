"""Faults on real services: a Celery worker SIGKILLed mid-work loses nothing
and doubles nothing once a new worker picks the work up again."""
import csv

import pytest
from django.urls import reverse

from tests.e2e.conftest import Worker, wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 24_000
CUSTOMERS = 8_000
BAD_EVERY = 997


def _big_loan_book(path):
    expected_bad = 0
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "loan_id", "amount", "due_date", "Branch", "Employee"])
        for n in range(ROWS):
            c = n % CUSTOMERS
            if n % BAD_EVERY == 0:
                writer.writerow([f"Broken {n}", "12", f"F-{n:06d}", "n/a", "2024-01-15", "Gulu", "Agent"])
                expected_bad += 1
                continue
            writer.writerow([f"Customer {c} Okello", f"0772{c:06d}", f"F-{n:06d}", f"{1000 + n:,}", "2024-01-15", "Gulu", "Agent"])
    return expected_bad


def test_worker_killed_mid_upload_resumes_without_loss_or_doubling(ops_client, broker, worker_env, tmp_path):
    from customers.models import Customer
    from debts.models import Debt
    from uploads.models import FileUpload, UploadRow

    env = {**worker_env, "UPLOAD_CHUNK_SIZE": "500", "CELERY_VISIBILITY_TIMEOUT": "3"}
    book = tmp_path / "big.csv"
    bad = _big_loan_book(book)

    first = Worker(env, tmp_path / "worker-1.log").start()
    with book.open("rb") as handle:
        response = ops_client.post(reverse("api:upload-list"), {"file": handle}, format="multipart")
    assert response.status_code == 202, response.content
    upload_id = response.json()["id"]

    def part_way():
        upload = FileUpload.objects.get(pk=upload_id)
        return 1000 <= upload.processed_records < ROWS - 2000 and upload

    wait_until(part_way, timeout=120, interval=0.05, message="the upload to be part-way through")
    first.kill()
    interrupted = FileUpload.objects.get(pk=upload_id)
    assert interrupted.status == "processing"
    assert 0 < interrupted.processed_records < ROWS

    second = Worker(env, tmp_path / "worker-2.log").start()
    try:
        done = wait_until(
            lambda: FileUpload.objects.filter(pk=upload_id, status__in=["completed", "completed_with_errors"]).first(),
            timeout=240,
            message="the restarted worker to finish the upload",
        )
    finally:
        second.stop()

    assert done.total_records == ROWS
    assert (done.processed_records, done.failed_records) == (ROWS, bad)
    assert done.success_records + done.failed_records + done.skipped_records == ROWS
    assert UploadRow.objects.filter(file_upload_id=upload_id).count() == ROWS
    assert UploadRow.objects.filter(file_upload_id=upload_id, status="pending").count() == 0
    assert Debt.objects.count() == ROWS - bad
    assert Customer.objects.count() == CUSTOMERS
