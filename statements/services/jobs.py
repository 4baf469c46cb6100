"""Statement import jobs: every way a statement file gets in is a job row.

The admin upload, ``POST /api/v1/statements/``, the inbox folder and
``manage.py import_statements`` all come through here:

1. ``statement_import_job_create`` records the job (who or what started it,
   the provider/run_id hints, one ``results`` entry per file) and, for
   uploads, keeps the files in storage until the worker has read them;
2. ``statement_import_job_run`` (Celery task ``process_import_job``) takes
   each pending file through ``statement_import_job_file`` — the engine's
   storage service, then the customer-details enrichment — and records the
   outcome with ``statement_import_job_record``; the ``import_statements``
   command calls the same two functions from its worker processes.

A file that cannot be parsed becomes an ``IMPORT_FAILED`` statement (the
engine stores it with its reason) and the batch carries on; a file whose
SHA-256 is already stored is reported as a duplicate of that statement.
A redelivered task only picks up the files still ``pending``.

Work is queued by task name (``core.tasks``): the tasks import this module,
never the other way round.
"""
from __future__ import annotations

import logging
import zipfile
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from core.jobs import attempts_used_up_note, not_queued_note, stalled_job_ids
from core.limits import FileLimits, LimitExceeded, check_at_door, storage_file_name
from core.tasks import enqueue_task
from statements.choices import ImportJobStatus, ImportTrigger, provider_choices
from statements.models import StatementImport
from statements.services._inbox_folder import inbox_file_done
from statements.services._job_file import (
    DUPLICATE,
    FAILED,
    IMPORTED,
    PENDING,
    FileOutcome,
    statement_enrich_by_id,
    statement_import_job_file,
)
from statements.services.storage import statement_reprocess

logger = logging.getLogger(__name__)

UPLOAD_DIR = "statement_imports"
PROCESS_TASK = "statements.tasks.process_import_job"
REVERIFY_TASK = "statements.tasks.reverify_statements"
_FINISHED = (ImportJobStatus.COMPLETED, ImportJobStatus.COMPLETED_WITH_ERRORS, ImportJobStatus.FAILED)


class ImportJobError(ValueError):
    """The job cannot be created as asked (no files, unknown provider...)."""


def statement_upload_over_limit(*, fileobj) -> str:
    """Why an uploaded statement file is refused at the door for a file limit
    ('' when it is not): what can be known without decompressing or parsing
    it, a gzip's declared size and a ZIP's directory (``core.limits``). The
    worker holds the file to every limit as it reads it."""
    try:
        check_at_door(fileobj, FileLimits.from_settings(settings))
    except LimitExceeded as exc:
        return str(exc)
    except zipfile.BadZipFile as exc:
        return f"a ZIP file that is not a readable Excel workbook ({exc})"
    return ""


# --------------------------------------------------------------------------- create


def _stage_upload(job_id: int, index: int, upload: UploadedFile) -> str:
    # Stored under a name of at most FILE_NAME_MAX_BYTES (a long multibyte
    # name would not fit the file system); the job keeps the original.
    name = storage_file_name(get_valid_filename(Path(upload.name).name) or "statement", settings.FILE_NAME_MAX_BYTES)
    return default_storage.save(f"{UPLOAD_DIR}/{job_id}/{index:04d}_{name}", upload)


def _enqueue_job(job_id: int) -> None:
    enqueue_task(
        PROCESS_TASK, job_id, on_failure=not_queued_note(StatementImport, job_id, field="error", what="job"),
    )


def _started_by_label(trigger: str, user, label: str) -> str:
    if label:
        return label
    return f"{ImportTrigger(trigger).label} by {user.get_username()}" if user else ImportTrigger(trigger).label


def statement_provider_hint(provider: str | None) -> str:
    """A provider hint as an import job stores it: upper-cased, "" for none.
    ``ImportJobError`` for a code that is neither a provider nor one
    PROVIDER_FAMILIES maps (the API's serializer says the same)."""
    code = (provider or "").strip().upper()
    known = [c for c, _ in provider_choices()]  # UATL, UMTN and the codes PROVIDER_FAMILIES maps
    if code and code not in known:
        raise ImportJobError(f"Unknown provider {code!r} (expected one of {', '.join(known)}; PROVIDER_FAMILIES maps new codes).")
    return code


@transaction.atomic
def statement_import_job_create(
    *,
    files: Sequence[UploadedFile | str | Path],
    trigger: str,
    started_by=None,
    started_by_label: str = "",
    provider: str = "",
    run_id: str = "",
    enqueue: bool = True,
) -> StatementImport:
    """Record an import job for ``files`` and (``enqueue``) queue it for the
    worker once this transaction commits.

    ``files`` are uploads (kept in default storage until processed) or paths
    on this machine's disk (the inbox and the import command; read in place).
    """
    if not files:
        raise ImportJobError("An import needs at least one file.")
    if trigger not in ImportTrigger.values:
        raise ImportJobError(f"Unknown trigger {trigger!r}.")
    provider = statement_provider_hint(provider)
    user = started_by if getattr(started_by, "pk", None) else None
    job = StatementImport.objects.create(
        trigger=trigger,
        started_by=user,
        started_by_label=_started_by_label(trigger, user, started_by_label)[:200],
        provider_hint=provider,
        run_id_hint=(run_id or "").strip(),
        total_files=len(files),
        status=ImportJobStatus.QUEUED,
    )
    results = []
    for index, item in enumerate(files):
        if isinstance(item, (str, Path)):
            path = Path(item)
            results.append({"index": index, "file_name": path.name, "path": str(path.resolve()), "outcome": PENDING})
        else:
            stored = _stage_upload(job.pk, index, item)
            results.append({"index": index, "file_name": Path(item.name).name[:255], "storage_name": stored, "outcome": PENDING})
    job.results = results
    job.save(update_fields=["results", "updated_at"])
    if enqueue:
        _enqueue_job(job.pk)
    logger.info("import job %s created (%s, %s file(s))", job.pk, trigger, len(files))
    return job


# --------------------------------------------------------------------------- record


@transaction.atomic
def statement_import_job_record(*, job_id: int, outcome: FileOutcome) -> StatementImport:
    """Record one file's outcome on the job and move its counters."""
    return statement_import_job_record_many(job_id=job_id, outcomes=[outcome])


def _count(job: StatementImport, outcome: str) -> None:
    job.processed_files += 1
    if outcome == IMPORTED:
        job.imported_count += 1
    elif outcome == DUPLICATE:
        job.duplicate_count += 1
    else:
        job.failed_count += 1


@transaction.atomic
def statement_import_job_record_many(*, job_id: int, outcomes: Sequence[FileOutcome]) -> StatementImport:
    """Record several files' outcomes with one locked read and one write of
    the job (the import command batches them so its workers never wait)."""
    job = StatementImport.objects.select_for_update().get(pk=job_id)
    staged = []
    for outcome in outcomes:
        entry = job.results[outcome.index]
        if entry.get("outcome") != PENDING:
            continue  # already recorded (a redelivered task)
        if job.trigger == ImportTrigger.INBOX and entry.get("path"):
            outcome.moved_to = inbox_file_done(Path(entry["path"]), failed=outcome.outcome == FAILED)
            entry["path"] = outcome.moved_to or entry["path"]
        job.results[outcome.index] = outcome.as_result(entry)
        _count(job, outcome.outcome)
        if entry.get("storage_name") and outcome.outcome != FAILED:
            # The engine keeps its own copy on the statement; a failed file's
            # staged copy stays for whoever investigates it.
            staged.append(entry["storage_name"])
    job.save(update_fields=["results", "processed_files", "imported_count", "duplicate_count", "failed_count", "updated_at"])
    for name in staged:
        transaction.on_commit(lambda name=name: default_storage.delete(name))
    return job


# --------------------------------------------------------------------------- run


def _attempts_used_up(job: StatementImport) -> str:
    """The reason to fail ``job`` rather than run it again ('' while it has attempts left)."""
    limit = settings.JOB_MAX_ATTEMPTS
    if job.attempts < limit:
        return ""
    return attempts_used_up_note(
        attempts=job.attempts, what="job", retry="Its pending files were not imported: run it again from the admin once the cause is fixed."
    )


def statement_import_job_start(*, job_id: int) -> StatementImport | None:
    """Mark the job running and count the attempt; None when it has already
    finished, or when it has used up its JOB_MAX_ATTEMPTS (it is then failed
    with the reason: a file that kills its worker is not redelivered forever)."""
    with transaction.atomic():
        job = StatementImport.objects.select_for_update().get(pk=job_id)
        if job.status in _FINISHED:
            return None
        reason = _attempts_used_up(job)
        if not reason:
            job.status = ImportJobStatus.RUNNING
            job.started_at = job.started_at or timezone.now()
            job.attempts += 1
            job.save(update_fields=["status", "started_at", "attempts", "updated_at"])
            return job
    logger.warning("import job %s: %s", job_id, reason)
    statement_import_job_finish(job_id=job_id, error=reason)
    return None


def statement_import_job_finish(*, job_id: int, error: str = "") -> StatementImport:
    """Close the job: completed, completed with errors, or failed."""
    with transaction.atomic():
        job = StatementImport.objects.select_for_update().get(pk=job_id)
        if error:
            job.error = error
        if error and job.processed_files < job.total_files:
            job.status = ImportJobStatus.FAILED
        elif job.failed_count and job.failed_count == job.total_files:
            job.status = ImportJobStatus.FAILED
            job.error = job.error or "No file could be imported."
        elif job.failed_count:
            job.status = ImportJobStatus.COMPLETED_WITH_ERRORS
        else:
            job.status = ImportJobStatus.COMPLETED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    logger.info(
        "import job %s %s: %s imported, %s duplicate, %s failed of %s",
        job.pk, job.status, job.imported_count, job.duplicate_count, job.failed_count, job.total_files,
    )
    return job


def pending_indexes(job: StatementImport) -> list[int]:
    return [i for i, entry in enumerate(job.results) if entry.get("outcome") == PENDING]


def statement_import_job_run(job_id: int) -> StatementImport:
    """Process every pending file of the job, one after the other, then close it."""
    job = statement_import_job_start(job_id=job_id)
    if job is None:
        return StatementImport.objects.get(pk=job_id)
    try:
        for index in pending_indexes(job):
            outcome = statement_import_job_file(job_id=job_id, index=index)
            statement_import_job_record(job_id=job_id, outcome=outcome)
    except Exception as exc:
        logger.exception("import job %s stopped", job_id)
        return statement_import_job_finish(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
    return statement_import_job_finish(job_id=job_id)


# --------------------------------------------------------------------------- requeue


def statement_import_jobs_requeue(*, job_ids: list[int], reset_attempts: bool = True) -> list[int]:
    """Queue jobs again that still have pending files (a worker died, the
    broker lost the message); finished files are not imported twice.

    A person asking (the admin's "run again") gives the job a fresh set of
    JOB_MAX_ATTEMPTS; the scheduled re-queue (``reset_attempts=False``) fails
    a job that has used them up instead of queueing it again."""
    queued = []
    for job in StatementImport.objects.filter(pk__in=job_ids):
        if not pending_indexes(job):
            continue
        if not reset_attempts and (reason := _attempts_used_up(job)):
            logger.warning("import job %s: %s", job.pk, reason)
            statement_import_job_finish(job_id=job.pk, error=reason)
            continue
        changes = {"attempts": 0} if reset_attempts else {}
        if job.status != ImportJobStatus.QUEUED or changes:
            StatementImport.objects.filter(pk=job.pk).update(
                status=ImportJobStatus.QUEUED, finished_at=None, updated_at=timezone.now(), **changes
            )
        _enqueue_job(job.pk)
        queued.append(job.pk)
    return queued


def statement_import_jobs_requeue_stalled(*, older_than_minutes: int = 15) -> list[int]:
    """Queue again the jobs left queued or running with no progress for a
    while: their message was never sent (broker down) or their worker died.
    A job that used up its JOB_MAX_ATTEMPTS is failed with the reason instead."""
    stalled = stalled_job_ids(
        StatementImport.objects.all(), statuses=(ImportJobStatus.QUEUED, ImportJobStatus.RUNNING),
        older_than_minutes=older_than_minutes,
    )
    return statement_import_jobs_requeue(job_ids=stalled, reset_attempts=False)


# --------------------------------------------------------------------------- re-verify / reprocess


def statements_reverify_enqueue(*, statement_ids: list[int], enrich: bool = False) -> None:
    """Queue re-verification (``enrich``: and customer details fetched again)
    of statements, after this transaction commits."""
    if statement_ids:
        enqueue_task(REVERIFY_TASK, list(statement_ids), enrich)


def statements_reverify(*, statement_ids: list[int], enrich: bool = False) -> dict:
    """Rebuild processed rows, summary and status of each statement from its
    stored raw rows (the engine's ``statement_reprocess``, after a rule
    change) and, with ``enrich``, fetch its customer details again. A
    statement that fails is reported and the rest carry on."""
    done, failed = 0, []
    for statement_id in statement_ids:
        try:
            statement_reprocess(statement_id=statement_id)
        except Exception as exc:
            logger.exception("statement %s could not be re-verified", statement_id)
            failed.append({"statement_id": statement_id, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if enrich:
            statement_enrich_by_id(statement_id)
        done += 1
    return {"reverified": done, "failed": failed}
