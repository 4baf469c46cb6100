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
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from core.tasks import enqueue_on_commit
from statements.choices import ImportJobStatus, ImportTrigger, StatementStatus
from statements.models import Statement, StatementImport

logger = logging.getLogger(__name__)

PENDING, IMPORTED, DUPLICATE, FAILED = "pending", "imported", "duplicate", "failed"
UPLOAD_DIR = "statement_imports"
# seed 000's run_ids are PHP uniqid()s: 13 hex digits.
_UNIQID = re.compile(r"^[0-9a-f]{13}$")


class ImportJobError(ValueError):
    """The job cannot be created as asked (no files, unknown provider...)."""


@dataclass
class FileOutcome:
    """What happened to one file of a job (stored in ``StatementImport.results``)."""

    index: int
    file_name: str
    outcome: str = PENDING
    statement_id: int | None = None
    statement_status: str = ""
    duplicate_of: int | None = None
    error: str = ""
    enriched: bool = False
    seconds: float = 0.0
    moved_to: str = ""

    def as_result(self, entry: dict) -> dict:
        return {**entry, **{k: v for k, v in asdict(self).items() if k != "index"}}


# --------------------------------------------------------------------------- create


def _stage_upload(job_id: int, index: int, upload: UploadedFile) -> str:
    name = get_valid_filename(Path(upload.name).name) or "statement"
    return default_storage.save(f"{UPLOAD_DIR}/{job_id}/{index:04d}_{name}", upload)


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
    provider = (provider or "").strip().upper()
    from statements.choices import Provider

    if provider and provider not in Provider.values:
        raise ImportJobError(f"Unknown provider {provider!r} (expected one of {', '.join(Provider.values)}).")
    user = started_by if getattr(started_by, "pk", None) else None
    label = started_by_label or (f"{ImportTrigger(trigger).label} by {user.get_username()}" if user else ImportTrigger(trigger).label)
    job = StatementImport.objects.create(
        trigger=trigger,
        started_by=user,
        started_by_label=label[:200],
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
            results.append({"index": index, "file_name": Path(item.name).name, "storage_name": stored, "outcome": PENDING})
    job.results = results
    job.save(update_fields=["results", "updated_at"])
    if enqueue:
        from statements.tasks import process_import_job

        enqueue_on_commit(process_import_job, job.pk, on_failure=lambda exc, pk=job.pk: _note_not_queued(pk, exc))
    logger.info("import job %s created (%s, %s file(s))", job.pk, trigger, len(files))
    return job


# --------------------------------------------------------------------------- run


def _run_id_for(file_name: str, hint: str) -> str:
    """The statement request a file belongs to: the job's hint, else the file
    name when it is a run_id (statement requests store their file under
    ``<provider>/<run_id>``, seed 004's ``object_key``)."""
    if hint:
        return hint
    stem = Path(file_name).name.split(".")[0].strip()
    if not stem:
        return ""
    if _UNIQID.match(stem.lower()):
        return stem
    from details.mapper import MapperError, mapper_lookup
    from details.models import CustomerDetails

    if CustomerDetails.objects.filter(run_id=stem).exists():
        return stem
    try:
        return stem if mapper_lookup(stem) else ""
    except (MapperError, OSError):
        return ""


def _request_hints(run_id: str) -> tuple[str, str]:
    """(provider, acc_number) the statement request knows: an MTN export does
    not carry its account number (STATEMENT_FORMATS.md)."""
    if not run_id:
        return "", ""
    from details.mapper import MapperError, mapper_lookup
    from details.models import CustomerDetails

    row = CustomerDetails.objects.filter(run_id=run_id).values("acc_prvdr_code", "acc_number").first()
    if row is None:
        try:
            row = mapper_lookup(run_id)
        except (MapperError, OSError):
            row = None
    if not row:
        return "", ""
    return (row.get("acc_prvdr_code") or "").upper(), row.get("acc_number") or ""


def _local_path(entry: dict) -> tuple[Path, bool]:
    """A path the engine can read, and whether it is a temporary copy."""
    if entry.get("path"):
        return Path(entry["path"]), False
    name = entry["storage_name"]
    try:
        return Path(default_storage.path(name)), False
    except NotImplementedError:  # remote storage: copy to a temporary file
        import tempfile

        suffix = Path(name).suffix
        handle, tmp = tempfile.mkstemp(suffix=suffix, prefix="stmt-import-")
        with os.fdopen(handle, "wb") as out, default_storage.open(name, "rb") as src:
            shutil.copyfileobj(src, out)
        return Path(tmp), True


def statement_import_job_file(*, job_id: int, index: int, provider: str = "", run_id: str = "") -> FileOutcome:
    """Import file ``index`` of job ``job_id``: store it through the engine
    and enrich the statement. Never raises for a bad file — the outcome says
    what happened. Safe to call from a worker process."""
    job = StatementImport.objects.only("id", "provider_hint", "run_id_hint", "results", "trigger").get(pk=job_id)
    entry = job.results[index]
    outcome = FileOutcome(index=index, file_name=entry["file_name"])
    started = time.monotonic()
    try:
        path, temporary = _local_path(entry)
    except (OSError, KeyError) as exc:
        outcome.outcome, outcome.error = FAILED, f"file not readable: {exc}"
        return outcome
    try:
        run_id = _run_id_for(entry["file_name"], run_id or job.run_id_hint)
        request_provider, acc_number = _request_hints(run_id)
        _engine_store(
            outcome, path=path, file_name=entry["file_name"], job=job,
            provider=provider or job.provider_hint or request_provider, run_id=run_id, acc_number=acc_number,
        )
    finally:
        if temporary:
            path.unlink(missing_ok=True)
    if outcome.outcome == IMPORTED and outcome.statement_id:
        outcome.enriched = _enrich(outcome.statement_id)
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome


def _engine_store(outcome: FileOutcome, *, path: Path, file_name: str, job, provider: str, run_id: str, acc_number: str) -> None:
    """Hand one file to the engine's storage service and fill in ``outcome``."""
    try:
        from statements import services

        result = services.statement_import_file(
            path=path, file_name=file_name, provider=provider or None, run_id=run_id, acc_number=acc_number or None, import_job=job
        )
    except Exception as exc:  # the rest of the batch carries on
        logger.exception("import job %s: %s could not be stored", job.pk, file_name)
        outcome.outcome, outcome.error = FAILED, f"{type(exc).__name__}: {exc}"
        return
    statement = result.statement
    outcome.statement_id = statement.pk
    outcome.statement_status = statement.status
    if result.duplicate:
        outcome.outcome, outcome.duplicate_of = DUPLICATE, statement.pk
        outcome.error = f"same file (SHA-256) as statement #{statement.pk}"
    elif statement.status == StatementStatus.IMPORT_FAILED:
        outcome.outcome, outcome.error = FAILED, statement.failure_reason
    else:
        outcome.outcome = IMPORTED


def _enrich(statement_id: int) -> bool:
    from statements.enrichment import statement_enrich

    statement = Statement.objects.get(pk=statement_id)
    statement_enrich(statement=statement)
    return statement.customer_details_id is not None


@transaction.atomic
def statement_import_job_record(*, job_id: int, outcome: FileOutcome) -> StatementImport:
    """Record one file's outcome on the job and move its counters."""
    return statement_import_job_record_many(job_id=job_id, outcomes=[outcome])


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
            outcome.moved_to = _inbox_file_done(Path(entry["path"]), failed=outcome.outcome == FAILED)
            entry["path"] = outcome.moved_to or entry["path"]
        job.results[outcome.index] = outcome.as_result(entry)
        job.processed_files += 1
        if outcome.outcome == IMPORTED:
            job.imported_count += 1
        elif outcome.outcome == DUPLICATE:
            job.duplicate_count += 1
        else:
            job.failed_count += 1
        if entry.get("storage_name") and outcome.outcome != FAILED:
            # The engine keeps its own copy on the statement; a failed file's
            # staged copy stays for whoever investigates it.
            staged.append(entry["storage_name"])
    job.save(update_fields=["results", "processed_files", "imported_count", "duplicate_count", "failed_count", "updated_at"])
    for name in staged:
        transaction.on_commit(lambda name=name: default_storage.delete(name))
    return job


def statement_import_job_start(*, job_id: int) -> StatementImport | None:
    """Mark the job running; None when it has already finished."""
    with transaction.atomic():
        job = StatementImport.objects.select_for_update().get(pk=job_id)
        if job.status in (ImportJobStatus.COMPLETED, ImportJobStatus.COMPLETED_WITH_ERRORS, ImportJobStatus.FAILED):
            return None
        job.status = ImportJobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at", "updated_at"])
    return job


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


# --------------------------------------------------------------------------- inbox


def inbox_dir() -> Path:
    return Path(settings.STATEMENT_INBOX_DIR)


def _inbox_min_age() -> float:
    return float(getattr(settings, "STATEMENT_INBOX_MIN_AGE_SECONDS", 10))


def _unique_target(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = Path(name).stem, "".join(Path(name).suffixes)
    stem = name[: len(name) - len(suffix)] if suffix else stem
    return folder / f"{stem}.{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}{suffix}"


def _inbox_file_done(path: Path, *, failed: bool) -> str:
    """Move a processed inbox file to ``done/`` or ``failed/``; never delete it."""
    if not path.exists():
        return ""
    target = _unique_target(inbox_dir() / ("failed" if failed else "done"), path.name)
    shutil.move(str(path), str(target))
    return str(target)


def _is_settled(path: Path, min_age: float, now: float) -> bool:
    """Whether a file has stopped being written: unchanged for ``min_age``
    seconds (a scanner/FTP upload still in progress keeps touching it)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    return now - stat.st_mtime >= min_age and stat.st_size > 0


@dataclass
class InboxScan:
    job: StatementImport | None = None
    claimed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


def statement_inbox_scan(*, directory: Path | None = None, min_age_seconds: float | None = None) -> InboxScan:
    """Claim the settled files in the inbox and start one import job for them.

    Files are first moved into ``processing/<batch>/`` (an atomic rename, so
    two scans running at once can never both take a file) and from there to
    ``done/`` or ``failed/`` as each is imported. Files still being written,
    hidden files and the three sub-folders are left alone.
    """
    folder = Path(directory) if directory else inbox_dir()
    min_age = _inbox_min_age() if min_age_seconds is None else min_age_seconds
    scan = InboxScan()
    if not folder.is_dir():
        return scan
    now = time.time()
    batch = folder / "processing" / f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
    claimed: list[Path] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~")) or path.name.endswith((".part", ".tmp", ".crdownload")):
            continue
        if not _is_settled(path, min_age, now):
            scan.waiting.append(path.name)
            continue
        batch.mkdir(parents=True, exist_ok=True)
        target = batch / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:  # another scan took it first
            continue
        claimed.append(target)
    scan.claimed = [p.name for p in claimed]
    if claimed:
        scan.job = statement_import_job_create(files=claimed, trigger=ImportTrigger.INBOX, started_by_label=f"Inbox {folder}")
    return scan


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- re-verify / reprocess


def statements_reverify_enqueue(*, statement_ids: list[int], enrich: bool = False) -> None:
    """Queue re-verification (``enrich``: and customer details fetched again)
    of statements, after this transaction commits."""
    from statements.tasks import reverify_statements

    if statement_ids:
        enqueue_on_commit(reverify_statements, list(statement_ids), enrich)


def statements_reverify(*, statement_ids: list[int], enrich: bool = False) -> dict:
    """Rebuild processed rows, summary and status of each statement from its
    stored raw rows (the engine's ``statement_reprocess``, after a rule
    change) and, with ``enrich``, fetch its customer details again. A
    statement that fails is reported and the rest carry on."""
    done, failed = 0, []
    for statement_id in statement_ids:
        try:
            from statements import services

            services.statement_reprocess(statement_id=statement_id)
        except Exception as exc:
            logger.exception("statement %s could not be re-verified", statement_id)
            failed.append({"statement_id": statement_id, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if enrich:
            _enrich(statement_id)
        done += 1
    return {"reverified": done, "failed": failed}


def statement_import_jobs_requeue(*, job_ids: list[int]) -> list[int]:
    """Queue jobs again that still have pending files (a worker died, the
    broker lost the message); finished files are not imported twice."""
    from statements.tasks import process_import_job

    queued = []
    for job in StatementImport.objects.filter(pk__in=job_ids):
        if not pending_indexes(job):
            continue
        if job.status != ImportJobStatus.QUEUED:
            StatementImport.objects.filter(pk=job.pk).update(status=ImportJobStatus.QUEUED, finished_at=None, updated_at=timezone.now())
        enqueue_on_commit(process_import_job, job.pk, on_failure=lambda exc, pk=job.pk: _note_not_queued(pk, exc))
        queued.append(job.pk)
    return queued


def _note_not_queued(job_id: int, exc: BaseException) -> None:
    StatementImport.objects.filter(pk=job_id).update(
        error=f"The task queue was unavailable ({exc}); the job starts automatically when it is back.", updated_at=timezone.now()
    )


def statement_import_jobs_requeue_stalled(*, older_than_minutes: int = 15) -> list[int]:
    """Queue again the jobs left queued or running with no progress for a
    while: their message was never sent (broker down) or their worker died."""
    cutoff = timezone.now() - timezone.timedelta(minutes=older_than_minutes)
    stalled = StatementImport.objects.filter(
        status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING], updated_at__lt=cutoff
    ).values_list("pk", flat=True)[:100]
    return statement_import_jobs_requeue(job_ids=list(stalled))


# --------------------------------------------------------------------------- dry run


def statement_file_check(*, path: Path, provider: str = "", run_id: str = "") -> dict:
    """Parse and verify one file without storing anything (``--dry-run``):
    what the import would do with it. Reads the database only to say whether
    the same file is already stored."""
    path = Path(path)
    result = {"file_name": path.name, "outcome": "ok", "error": ""}
    try:
        sha = file_sha256(path)
    except OSError as exc:
        return {**result, "outcome": FAILED, "error": f"file not readable: {exc}"}
    existing = Statement.objects.filter(file_sha256=sha).values_list("pk", flat=True).first()
    if existing:
        return {**result, "outcome": DUPLICATE, "error": f"same file (SHA-256) as statement #{existing}"}
    run_id = _run_id_for(path.name, run_id)
    request_provider, acc_number = _request_hints(run_id)
    try:
        from statements.engine.errors import StatementError
    except ImportError:  # pragma: no cover - the engine package is part of the app
        StatementError = ValueError  # noqa: N806
    try:
        checked = _engine_check(path, provider=provider or request_provider, acc_number=acc_number)
    except StatementError as exc:
        return {**result, "outcome": FAILED, "error": f"{getattr(exc, 'code', 'unreadable')}: {exc}"}
    except Exception as exc:
        return {**result, "outcome": FAILED, "error": f"{type(exc).__name__}: {exc}"}
    summary = checked.summary
    return {
        **result,
        "provider": checked.parsed.provider,
        "acc_number": checked.parsed.acc_number or acc_number,
        "run_id": run_id,
        "transactions": len(checked.transactions),
        "status": checked.status,
        "verification_status": summary.verification_status,
        "tampering_level": summary.tampering_level,
    }


def _engine_check(path: Path, *, provider: str, acc_number: str):
    """The engine's parse + verify of one file, with no database (the same
    code ``parse_statement`` runs); returns its ``StatementResult``."""
    from statements import services

    return services.statement_check_file(path=path, provider=provider or None, acc_number=acc_number or None)
