"""Faults on real services: a Celery worker SIGKILLed mid-work loses nothing
and doubles nothing once a new worker picks the work up again.

A SIGKILLed worker never acknowledged its message; the broker hands it out
again only after its visibility timeout (an hour in production). What brings
the work back sooner is the beat task that re-queues stalled jobs, so after
the restart the tests send that task exactly as beat would.
"""
import csv
import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer
from debts.models import Debt
from fixtures.statements import generate as gen
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport
from statements.tasks import requeue_stalled_imports
from tests.e2e.conftest import Worker, wait_until
from uploads.models import FileUpload, UploadRow
from uploads.tasks import resume_stalled_uploads

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
    env = {**worker_env, "UPLOAD_CHUNK_SIZE": "500"}
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
    resume_stalled_uploads.delay(0)  # what beat sends every few minutes
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


STATEMENT_FILES = 30
STATEMENT_ROWS = 500


def _statement_files(folder):
    paths = []
    for i in range(STATEMENT_FILES):
        rng = random.Random(70_000 + i)
        st = gen.make_airtel_ledger(rng, STATEMENT_ROWS, start=datetime(2025, 6, 1, 7) + timedelta(days=i), opening=Decimal(500_000),
                                    acc=f"70{rng.randint(1000000, 9999999)}", fmt=1)
        # Printed the day after the statement's period ends, as a genuine one is
        # (a creation date inside the period is a forensic signal).
        info = {**gen.F1_META, "CreationDate": gen.pdf_date(st.end + timedelta(days=1, minutes=i))}
        path = folder / f"{0x68e92f3c1000 + i:013x}.pdf"
        path.write_bytes(gen.write_pdf_table(st, fmt=1, info=info))
        paths.append(path)
    return paths


def test_worker_killed_mid_statement_batch_resumes_without_loss_or_doubling(ops_client, broker, worker_env, tmp_path):
    env = dict(worker_env)
    paths = _statement_files(tmp_path)
    first = Worker(env, tmp_path / "worker-1.log").start()
    handles = [p.open("rb") for p in paths]
    try:
        response = ops_client.post(reverse("api:statement-list"), {"files": handles}, format="multipart")
    finally:
        for handle in handles:
            handle.close()
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]

    def part_way():
        job = StatementImport.objects.get(pk=job_id)
        return 2 <= job.processed_files <= STATEMENT_FILES - 8 and job

    wait_until(part_way, timeout=120, interval=0.05, message="the import job to be part-way through")
    first.kill()
    assert StatementImport.objects.get(pk=job_id).processed_files < STATEMENT_FILES

    second = Worker(env, tmp_path / "worker-2.log").start()
    requeue_stalled_imports.delay(0)  # what beat sends every few minutes
    try:
        job = wait_until(
            lambda: StatementImport.objects.filter(pk=job_id, status__in=["completed", "completed_with_errors", "failed"]).first(),
            timeout=240,
            message="the restarted worker to finish the import job",
        )
    finally:
        second.stop()

    assert (job.status, job.imported_count, job.duplicate_count, job.failed_count) == ("completed", STATEMENT_FILES, 0, 0)
    assert Statement.objects.count() == STATEMENT_FILES
    assert Statement.objects.filter(status="VERIFIED").count() == STATEMENT_FILES
    assert RawTransaction.objects.count() == STATEMENT_FILES * STATEMENT_ROWS
    assert ProcessedTransaction.objects.count() == STATEMENT_FILES * STATEMENT_ROWS
