"""Uploaded originals at rest: written 0600, deleted past UPLOAD_RETENTION_DAYS
(0: as soon as processed) by the task, the beat entry's service and the
``purge_originals`` command; the rows read from them stay."""
from __future__ import annotations

import functools
import os
import stat
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fixtures.statements.generate import build_samples
from statements.models import Statement
from statements.services import statement_import_job_create, statement_import_job_run
from statements.tasks import process_import_job
from uploads.choices import UploadStatus
from uploads.models import FileUpload
from uploads.services import file_upload_create
from uploads.services.retention import originals_purge
from uploads.tasks import process_upload

# Real commits: a file is deleted only once its row's change has committed.
pytestmark = pytest.mark.django_db(transaction=True)

BOOK = Path(settings.BASE_DIR) / "fixtures" / "loan_books" / "demo.csv"


def _stored(upload: FileUpload) -> Path:
    return Path(settings.MEDIA_ROOT) / upload.file.name


def _upload() -> FileUpload:
    with BOOK.open("rb") as handle:
        return file_upload_create(fileobj=handle, filename="demo.csv", enqueue=False)


def test_the_original_is_written_readable_by_the_app_user_only():
    upload = _upload()
    path = _stored(upload)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_retention_keeps_a_recent_original_and_deletes_an_old_one_keeping_the_rows(settings):
    settings.UPLOAD_RETENTION_DAYS = 30
    upload = _upload()
    path = _stored(upload)
    assert process_upload(upload.pk) in (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS)
    assert path.exists(), "a 30-day retention keeps the file right after processing"

    assert originals_purge() == {"uploads": 0, "statements": 0}
    assert path.exists()

    assert originals_purge(now=timezone.now() + timedelta(days=31)) == {"uploads": 1, "statements": 0}
    assert not path.exists()
    upload.refresh_from_db()
    assert not upload.file and upload.filename == "demo.csv" and upload.sha256 and upload.file_size
    assert upload.rows.count() == upload.total_records > 0


def test_retention_zero_deletes_the_loan_book_as_soon_as_it_is_processed(settings):
    settings.UPLOAD_RETENTION_DAYS = 0
    upload = _upload()
    path = _stored(upload)
    process_upload(upload.pk)
    assert not path.exists()
    upload.refresh_from_db()
    assert not upload.file and upload.status in (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS)
    assert upload.success_records > 0


def test_an_upload_not_yet_processed_keeps_its_original_whatever_the_retention():
    upload = _upload()
    assert originals_purge(retention_days=0, now=timezone.now() + timedelta(days=365)) == {"uploads": 0, "statements": 0}
    assert _stored(upload).exists()


@functools.cache
def _sample(name: str) -> bytes:
    return build_samples()[name][0]


def _statement_job(name: str = "airtel_f1_genuine.pdf"):
    data = _sample(name)
    job = statement_import_job_create(
        files=[SimpleUploadedFile(name, data, content_type="application/pdf")], trigger="api", enqueue=False,
    )
    return job


def test_statement_originals_go_with_retention_zero_and_the_statement_stays(settings):
    settings.UPLOAD_RETENTION_DAYS = 0
    job = _statement_job()
    process_import_job(job.pk)
    statement = Statement.objects.get(import_job=job)
    assert not statement.file and statement.file_name == "airtel_f1_genuine.pdf" and statement.file_sha256
    assert statement.status == "VERIFIED" and statement.raw_transactions.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*.pdf")]


def test_the_command_purges_statements_and_loan_books_past_the_days_given(settings):
    settings.UPLOAD_RETENTION_DAYS = 30
    job = _statement_job()
    statement_import_job_run(job.pk)
    statement = Statement.objects.get(import_job=job)
    stored = Path(settings.MEDIA_ROOT) / statement.file.name
    assert stored.exists() and stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    upload = _upload()
    process_upload(upload.pk)

    call_command("purge_originals")
    assert stored.exists()
    with pytest.raises(CommandError):
        call_command("purge_originals", "--days", "-1")
    Statement.objects.filter(pk=statement.pk).update(created_at=timezone.now() - timedelta(days=2))
    FileUpload.objects.filter(pk=upload.pk).update(completed_at=timezone.now() - timedelta(days=2))
    out = StringIO()
    call_command("purge_originals", "--days", "1", stdout=out)
    assert out.getvalue().strip() == "Removed 1 loan-book and 1 statement original(s)."
    assert not stored.exists()
    statement.refresh_from_db()
    assert not statement.file and statement.raw_transactions.exists()


def test_a_retained_statement_original_downloads_and_a_purged_one_is_gone(settings, client, ops_admin, reader):
    settings.UPLOAD_RETENTION_DAYS = 30
    job = _statement_job()
    statement_import_job_run(job.pk)
    statement = Statement.objects.get(import_job=job)
    client.force_login(ops_admin)
    response = client.get(f"/statements/{statement.pk}/file/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == _sample("airtel_f1_genuine.pdf")
    assert 'id="file-link"' in client.get(f"/statements/{statement.pk}/").content.decode()
    client.force_login(reader)
    assert client.get(f"/statements/{statement.pk}/file/").status_code == 403

    originals_purge(retention_days=0)
    client.force_login(ops_admin)
    assert client.get(f"/statements/{statement.pk}/file/").status_code == 404
    page = client.get(f"/statements/{statement.pk}/").content.decode()
    assert 'id="file-removed"' in page and 'id="file-link"' not in page
