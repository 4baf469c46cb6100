"""A worker killed mid-import loses nothing: the upload resumes after its last
committed chunk and ends exactly as an uninterrupted import does."""
import csv
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction

from customers.models import Customer
from debts.models import Debt
from uploads.choices import UploadStatus
from uploads.models import FileUpload, UploadRow
from uploads.services import file_upload_create, file_upload_process
from uploads.tasks import process_upload

LINES = 60
CHUNK = 10
LOCKED_LOAN = "LN-0035"  # on line 36, in the fourth chunk


def _write_book(path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "loan_id", "amount", "due_date"])
        for n in range(LINES):
            c = n % 25  # repeat customers across chunks
            amount = "bad" if n == 47 else f"{1000 + n:,}"
            writer.writerow([f"Customer {c}", f"07720{c:05d}", f"LN-{n:04d}", amount, "2024-01-15"])


def _seed_existing_loan():
    customer = Customer.objects.create(full_name="Customer 10", primary_phone="+256772000010")
    Debt.objects.create(customer=customer, loan_id=LOCKED_LOAN, original_amount=5, current_balance=5)


def _snapshot(upload):
    upload.refresh_from_db()
    rows = [
        (r.line_number, r.status, r.match_method, r.matched_debt.loan_id if r.matched_debt else None,
         r.matched_customer.full_name if r.matched_customer else None, r.error)
        for r in UploadRow.objects.filter(file_upload=upload).select_related("matched_debt", "matched_customer").order_by("line_number")
    ]
    debts = sorted(Debt.objects.values_list("loan_id", "customer__full_name", "current_balance"))
    counts = (upload.status, upload.total_records, upload.processed_records, upload.success_records, upload.failed_records,
              upload.skipped_records, upload.customers_created, upload.customers_matched, upload.debts_created, upload.debts_updated)
    return counts, rows, debts, Customer.objects.count()


def _reset():
    UploadRow.objects.all().delete()
    Debt.objects.all().delete()
    FileUpload.objects.all().delete()
    Customer.objects.all().delete()


def _worker_blocked_on_the_loan() -> bool:
    # The worker's UPDATE of the locked loan cannot finish while we hold the lock.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE %s",
            ["UPDATE `debts`%"],
        )
        return cursor.fetchone()[0] > 0


def _worker_env() -> dict[str, str]:
    """A separate process on the test database, chunks of CHUNK lines, no broker."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"mysql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}",
        "UPLOAD_CHUNK_SIZE": str(CHUNK),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("TEST_DB_NAME", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def _kill_the_worker_inside_chunk_4(upload) -> None:
    # Hold the existing loan's row lock: the worker commits chunks 1-3, then
    # blocks inside chunk 4 when it updates that loan. That is where it dies.
    with transaction.atomic():
        Debt.objects.select_for_update().get(loan_id=LOCKED_LOAN)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "import_loan_book", "--resume", str(upload.pk), "--json"],
            cwd=settings.BASE_DIR, env=_worker_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while not (FileUpload.objects.get(pk=upload.pk).last_line_number == 3 * CHUNK + 1 and _worker_blocked_on_the_loan()):
                assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "the worker never reached chunk 4"
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.stdout.close()
            worker.stderr.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_resumes_to_the_same_result(tmp_path):
    if connection.vendor != "mysql":
        pytest.skip("needs a database server shared with a second process")
    book = tmp_path / "book.csv"
    _write_book(book)
    _seed_existing_loan()
    with open(book, "rb") as handle:
        upload = file_upload_create(fileobj=handle, filename="book.csv", enqueue=False, may_sync_balances=True)

    _kill_the_worker_inside_chunk_4(upload)

    crashed = FileUpload.objects.get(pk=upload.pk)
    assert crashed.status == UploadStatus.PROCESSING
    assert (crashed.processed_records, crashed.total_records) == (3 * CHUNK, LINES)
    # Chunk 4 died inside its transaction: none of its lines were written.
    assert UploadRow.objects.filter(file_upload=upload).count() == 3 * CHUNK
    assert Debt.objects.get(loan_id=LOCKED_LOAN).current_balance == Decimal("5")

    process_upload.delay(upload.pk)  # what a redelivered or re-queued task does
    resumed = _snapshot(upload)

    _reset()
    _seed_existing_loan()
    with open(book, "rb") as handle:
        reference = file_upload_create(fileobj=handle, filename="book.csv", enqueue=False, may_sync_balances=True)
    settings.UPLOAD_CHUNK_SIZE = CHUNK
    file_upload_process(upload_id=reference.pk)
    uninterrupted = _snapshot(reference)

    assert resumed == uninterrupted
    counts, rows, debts, customers = resumed
    assert counts[:6] == (UploadStatus.COMPLETED_WITH_ERRORS, LINES, LINES, LINES - 1, 1, 0)
    assert len(rows) == LINES and [r[0] for r in rows] == list(range(2, LINES + 2))
    assert (LOCKED_LOAN, "Customer 10", Decimal("1035.00")) in debts
