"""core.jobs, through the two apps that use it: a job recorded while the
broker is down says it waits for the queue, and the stalled jobs (queued or
running, untouched for a while) are the ones queued again."""
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone

from config.celery import app
from statements.choices import ImportJobStatus, ImportTrigger
from statements.models import StatementImport
from statements.services import statement_import_job_create, statement_import_jobs_requeue_stalled
from tests.e2e.conftest import _reset_pools
from uploads.models import FileUpload
from uploads.services import file_upload_create, file_upload_resume_stalled

pytestmark = pytest.mark.django_db
BOOK = b"name,phone,loan_id,amount,due_date\nSarah Nakato,0772123456,OUT-1,250000,2024-01-15\n"


@pytest.fixture
def broker_down():
    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_connection_timeout, app.conf.task_publish_retry)
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=1, task_publish_retry=False)
    _reset_pools(app)
    yield
    app.conf.update(
        task_always_eager=previous[0], broker_url=previous[1], broker_connection_timeout=previous[2], task_publish_retry=previous[3]
    )
    _reset_pools(app)


def test_an_upload_accepted_while_the_broker_is_down_says_it_waits(broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload = file_upload_create(fileobj=BytesIO(BOOK), filename="book.csv")
    upload.refresh_from_db()
    assert upload.processing_errors.startswith("The task queue was unavailable (")
    assert upload.processing_errors.endswith("); the import starts automatically when it is back.")


def test_a_statement_import_recorded_while_the_broker_is_down_says_it_waits(broker_down, tmp_path, django_capture_on_commit_callbacks):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    with django_capture_on_commit_callbacks(execute=True):
        job = statement_import_job_create(files=[tmp_path / "a.pdf"], trigger=ImportTrigger.COMMAND)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.QUEUED
    assert job.error.startswith("The task queue was unavailable (")
    assert job.error.endswith("); the job starts automatically when it is back.")


def test_only_statement_imports_queued_or_running_and_untouched_are_queued_again(tmp_path, django_capture_on_commit_callbacks):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    jobs = {name: statement_import_job_create(files=[tmp_path / "a.pdf"], trigger=ImportTrigger.COMMAND, enqueue=False)
            for name in ("queued", "running", "recent", "finished")}
    an_hour_ago = timezone.now() - timedelta(hours=1)
    StatementImport.objects.filter(pk=jobs["running"].pk).update(status=ImportJobStatus.RUNNING)
    StatementImport.objects.filter(pk=jobs["finished"].pk).update(status=ImportJobStatus.COMPLETED)
    StatementImport.objects.exclude(pk=jobs["recent"].pk).update(updated_at=an_hour_ago)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = statement_import_jobs_requeue_stalled(older_than_minutes=15)
    assert sorted(queued) == sorted([jobs["queued"].pk, jobs["running"].pk])
    assert len(callbacks) == 2
    assert StatementImport.objects.get(pk=jobs["running"].pk).status == ImportJobStatus.QUEUED


def test_a_stalled_upload_without_its_file_is_not_queued_again(django_capture_on_commit_callbacks):
    kept = file_upload_create(fileobj=BytesIO(BOOK), filename="book.csv", enqueue=False, store=False)
    FileUpload.objects.filter(pk=kept.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert file_upload_resume_stalled(older_than_minutes=15) == []
    assert callbacks == []
