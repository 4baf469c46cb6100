"""Import jobs: every entry point records a visible job; outcomes and
counters; the inbox never loses a file."""
import os
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from statements import services
from statements.choices import ImportJobStatus, ImportTrigger
from statements.models import StatementImport
from statements.services._inbox_folder import inbox_file_done

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples"


def _upload(name="a.pdf", data=b"%PDF-1.4 sample"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_api_upload_answers_202_with_a_queued_job(analyst_client, analyst, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = analyst_client.post(
            "/api/v1/statements/", {"files": [_upload("one.pdf"), _upload("two.csv", b"x,y")], "provider": "UATL", "run_id": "68babf7f23139"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    job = StatementImport.objects.get(pk=body["id"])
    assert response["Location"] == f"/api/v1/statement-imports/{job.pk}/"
    assert (job.trigger, job.started_by, job.status, job.total_files) == (ImportTrigger.API, analyst, ImportJobStatus.QUEUED, 2)
    assert (job.provider_hint, job.run_id_hint) == ("UATL", "68babf7f23139")
    assert [r["file_name"] for r in job.results] == ["one.pdf", "two.csv"]
    assert all(default_storage.exists(r["storage_name"]) for r in job.results)
    assert len(callbacks) == 1  # the Celery task, sent once the job is committed
    progress = analyst_client.get(f"/api/v1/statement-imports/{job.pk}/").json()
    assert progress["status"] == "queued" and progress["progress_percent"] == 0


def test_api_upload_refuses_no_files_and_oversized_files(analyst_client, settings):
    assert analyst_client.post("/api/v1/statements/", {}, format="multipart").status_code == 400
    settings.MAX_UPLOAD_SIZE = 1024
    response = analyst_client.post("/api/v1/statements/", {"files": [_upload("big.pdf", b"x" * 2048)]}, format="multipart")
    assert response.status_code == 400 and "big.pdf" in str(response.json())
    assert not StatementImport.objects.exists()


def test_reader_cannot_upload(reader_client):
    assert reader_client.post("/api/v1/statements/", {"files": [_upload()]}, format="multipart").status_code == 403


def test_outcomes_move_the_counters_and_decide_the_job_status(tmp_path):
    files = []
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        (tmp_path / name).write_bytes(b"x")
        files.append(tmp_path / name)
    job = services.statement_import_job_create(files=files, trigger=ImportTrigger.COMMAND, enqueue=False)
    services.statement_import_job_start(job_id=job.pk)
    services.statement_import_job_record(job_id=job.pk, outcome=services.FileOutcome(index=0, file_name="a.pdf", outcome=services.IMPORTED, statement_id=None))
    services.statement_import_job_record(job_id=job.pk, outcome=services.FileOutcome(index=1, file_name="b.pdf", outcome=services.DUPLICATE, duplicate_of=7))
    # Recording the same file twice (a redelivered task) counts it once.
    services.statement_import_job_record(job_id=job.pk, outcome=services.FileOutcome(index=1, file_name="b.pdf", outcome=services.DUPLICATE, duplicate_of=7))
    job.refresh_from_db()
    assert services.pending_indexes(job) == [2]
    services.statement_import_job_record(job_id=job.pk, outcome=services.FileOutcome(index=2, file_name="c.pdf", outcome=services.FAILED, error="not a PDF"))
    job = services.statement_import_job_finish(job_id=job.pk)
    assert (job.processed_files, job.imported_count, job.duplicate_count, job.failed_count) == (3, 1, 1, 1)
    assert job.status == ImportJobStatus.COMPLETED_WITH_ERRORS and job.finished_at
    assert job.results[1]["duplicate_of"] == 7 and job.results[2]["error"] == "not a PDF"


def test_inbox_scan_claims_only_settled_files_and_never_loses_one(settings, tmp_path, django_capture_on_commit_callbacks):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings.STATEMENT_INBOX_DIR = str(inbox)
    old = time.time() - 60
    for name in ("ready1.pdf", "ready2.xlsx"):
        (inbox / name).write_bytes(b"content " + name.encode())
        os.utime(inbox / name, (old, old))
    (inbox / "uploading.pdf").write_bytes(b"half")  # modified just now: still being written
    (inbox / ".hidden.pdf").write_bytes(b"x")
    os.utime(inbox / ".hidden.pdf", (old, old))

    with django_capture_on_commit_callbacks(execute=False):
        scan = services.statement_inbox_scan(min_age_seconds=10)
    assert sorted(scan.claimed) == ["ready1.pdf", "ready2.xlsx"] and scan.waiting == ["uploading.pdf"]
    assert (inbox / "uploading.pdf").exists() and not (inbox / "ready1.pdf").exists()
    job = scan.job
    assert job.trigger == ImportTrigger.INBOX and job.total_files == 2
    assert all("/processing/" in r["path"] and Path(r["path"]).exists() for r in job.results)

    # A second scan meanwhile takes nothing twice.
    with django_capture_on_commit_callbacks(execute=False):
        assert services.statement_inbox_scan(min_age_seconds=10).claimed == []

    services.statement_import_job_run(job.pk)
    job.refresh_from_db()
    assert job.processed_files == 2
    for entry in job.results:
        landed = Path(entry["moved_to"])
        assert landed.exists() and landed.parent.name in ("done", "failed")
        assert landed.parent.name == ("failed" if entry["outcome"] == services.FAILED else "done")
        assert landed.read_bytes() == b"content " + entry["file_name"].encode()


def test_inbox_never_overwrites_a_file_of_the_same_name(settings, tmp_path):
    settings.STATEMENT_INBOX_DIR = str(tmp_path)
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "s.pdf").write_bytes(b"first")
    (tmp_path / "s.pdf").write_bytes(b"second")
    moved = Path(inbox_file_done(tmp_path / "s.pdf", failed=False))
    assert (tmp_path / "done" / "s.pdf").read_bytes() == b"first"
    assert moved.read_bytes() == b"second" and moved.name.startswith("s.") and moved.suffix == ".pdf"


def test_admin_upload_form_starts_a_job(client, ops_admin, django_capture_on_commit_callbacks):
    client.force_login(ops_admin)
    assert client.get("/admin/statements/statementimport/add/").status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/admin/statements/statementimport/add/", {"files": [_upload("x.pdf"), _upload("y.pdf")], "provider": "", "run_id": ""})
    job = StatementImport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/statementimport/{job.pk}/change/")
    assert (job.trigger, job.started_by, job.total_files) == (ImportTrigger.ADMIN, ops_admin, 2)
    page = client.get(response["Location"]).content.decode()
    assert "x.pdf" in page and "y.pdf" in page
