"""End to end through the engine: sample files imported by the command, the
API/Celery path and the inbox, through the engine's storage service (``statements.services``)."""
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from statements import services
from statements.choices import ImportJobStatus, ImportTrigger, StatementStatus
from statements.models import Statement, StatementImport

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples"
MAPPER = Path(__file__).resolve().parents[2] / "fixtures" / "mapper.csv"


@pytest.fixture
def batch(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in ("airtel_f1_genuine.pdf", "airtel_f1_tampered_edited_balance.pdf", "bad_not_a_pdf.pdf", "airtel_f2_genuine.pdf"):
        shutil.copy(SAMPLES / name, folder / name)
    return folder


@pytest.mark.django_db
def test_command_imports_a_batch_and_a_bad_file_does_not_stop_it(batch):
    out = StringIO()
    call_command("import_statements", str(batch), "--no-progress", stdout=out)
    job = StatementImport.objects.get()
    assert job.trigger == ImportTrigger.COMMAND and job.status == ImportJobStatus.COMPLETED_WITH_ERRORS
    assert (job.imported_count, job.failed_count, job.duplicate_count) == (3, 1, 0)
    by_name = {s.file_name: s for s in Statement.objects.all()}
    assert by_name["airtel_f1_genuine.pdf"].status == StatementStatus.VERIFIED
    assert by_name["airtel_f1_tampered_edited_balance.pdf"].status == StatementStatus.FLAGGED
    failed = by_name["bad_not_a_pdf.pdf"]
    assert failed.status == StatementStatus.IMPORT_FAILED and failed.failure_reason
    assert all(s.import_job_id == job.pk for s in by_name.values())
    assert "imported: 3, duplicates: 0, failed: 1" in out.getvalue()


@pytest.mark.django_db
def test_the_same_file_twice_is_a_duplicate_of_the_first(batch, tmp_path):
    call_command("import_statements", str(batch / "airtel_f1_genuine.pdf"), "--no-progress", stdout=StringIO())
    first = Statement.objects.get()
    copy = tmp_path / "renamed-copy.pdf"
    shutil.copy(batch / "airtel_f1_genuine.pdf", copy)
    call_command("import_statements", str(copy), "--no-progress", stdout=StringIO())
    job = StatementImport.objects.order_by("-id").first()
    assert (job.duplicate_count, job.imported_count) == (1, 0)
    assert job.results[0]["outcome"] == services.DUPLICATE and job.results[0]["duplicate_of"] == first.pk
    assert Statement.objects.count() == 1


@pytest.mark.django_db
def test_dry_run_stores_nothing(batch):
    out = StringIO()
    call_command("import_statements", str(batch), "--dry-run", "--no-progress", stdout=out)
    assert not Statement.objects.exists() and not StatementImport.objects.exists()
    assert "would import: 3" in out.getvalue() and "unreadable: 1" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_import_the_batch(batch):
    if connection.vendor == "sqlite":
        pytest.skip("worker processes cannot see SQLite's in-memory test database")
    call_command("import_statements", str(batch), "--workers", "2", "--no-progress", stdout=StringIO())
    job = StatementImport.objects.get()
    assert (job.processed_files, job.imported_count, job.failed_count) == (4, 3, 1)
    assert Statement.objects.count() == 4


@pytest.mark.django_db
def test_api_upload_is_imported_by_the_task_and_enriched_from_the_mapper(analyst_client, settings, django_capture_on_commit_callbacks):
    settings.MAPPER_CSV_PATH = str(MAPPER)
    data = (SAMPLES / "airtel_f1_genuine.pdf").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(
            "/api/v1/statements/", {"files": [SimpleUploadedFile("s.pdf", data)], "run_id": "run-mapper-only"}, format="multipart"
        )
    assert response.status_code == 202
    job = analyst_client.get(f"/api/v1/statement-imports/{response.json()['id']}/").json()
    assert job["status"] == "completed" and job["imported_count"] == 1 and job["progress_percent"] == 100
    statement = Statement.objects.get(pk=job["results"][0]["statement_id"])
    assert statement.run_id == "run-mapper-only" and statement.rm_name == "EBRAN BRIGHT"
    assert statement.customer_details.run_id == "run-mapper-only"
