"""Accepting a loan book: the file is checked (size, type, the loan-book
columns), its SHA-256 taken, the ``FileUpload`` job recorded with the file,
and its processing queued.

``file_upload_resume`` and ``file_upload_resume_stalled`` put an interrupted,
stalled or failed job back on the queue; it continues after its last
committed chunk (``uploads.services.process``).

Work is queued by task name (``core.tasks``): ``uploads.tasks`` imports this
package, never the other way round.
"""
from __future__ import annotations

import hashlib
import logging
import os
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from core.jobs import attempts_used_up_note, not_queued_note, stalled_job_ids
from core.limits import storage_file_name
from core.tasks import enqueue_task
from uploads.choices import UploadStatus
from uploads.models import FileUpload
from uploads.readers import LoanBookError, LoanBookShape, sniff_loan_book

logger = logging.getLogger(__name__)

PROCESS_TASK = "uploads.tasks.process_upload"
FINAL_STATUSES = (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS)
ALLOWED_EXTENSIONS = (".csv", ".txt", ".xlsx")
ALLOWED_CONTENT_TYPES = {
    "",
    "text/csv",
    "text/plain",
    "text/comma-separated-values",
    "text/x-csv",
    "application/csv",
    "application/x-csv",
    "application/vnd.ms-excel",  # what Windows browsers call a .csv
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
}


class UploadRejected(ValueError):
    """The file cannot be accepted; the message says why, for the person who sent it."""


def _sha256(fileobj: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    fileobj.seek(0)
    for block in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    fileobj.seek(0)
    return digest.hexdigest(), size


def _file_size(fileobj: BinaryIO) -> int:
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def file_upload_check(*, fileobj: BinaryIO, filename: str, content_type: str | None = None, size: int | None = None) -> LoanBookShape:
    """Refuse what cannot be a loan book before anything is stored; return its shape.

    Reads only the file's first bytes (``readers.sniff_loan_book``: the
    header, an XLSX's directory checked against the file limits); the worker
    parses the rest and fails the upload, naming the limit, past one.
    """
    base = os.path.basename(filename or "")
    ext = os.path.splitext(base)[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRejected(f"{base!r}: unsupported file type {ext or '(none)'!r}; upload a .csv or .xlsx loan book")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in ALLOWED_CONTENT_TYPES:
        raise UploadRejected(f"{base!r}: unsupported content type {declared!r}; upload a .csv or .xlsx loan book")
    if size is None:
        size = _file_size(fileobj)
    if size > settings.MAX_UPLOAD_SIZE:
        raise UploadRejected(f"{base!r} is {size:,} bytes; the largest loan book accepted is {settings.MAX_UPLOAD_SIZE:,} bytes")
    if size == 0:
        raise UploadRejected(f"{base!r} is empty")
    try:
        return sniff_loan_book(fileobj, base)
    except LoanBookError as exc:
        raise UploadRejected(f"{base!r}: {exc}") from None


def _enqueue_processing(upload_id: int) -> None:
    # If the broker is down the upload stays saved and says so;
    # resume_stalled_uploads (beat) queues it again once the broker is back.
    enqueue_task(
        PROCESS_TASK, upload_id, on_failure=not_queued_note(FileUpload, upload_id, field="processing_errors", what="import"),
    )


@transaction.atomic
def file_upload_create(
    *,
    fileobj: BinaryIO,
    filename: str,
    uploaded_by=None,
    uploaded_by_label: str = "",
    content_type: str | None = None,
    phone_region: str | None = None,
    store: bool = True,
    enqueue: bool = True,
    may_sync_balances: bool | None = None,
) -> FileUpload:
    """Check ``fileobj``, record the upload job (and the file), and queue its processing.

    Raises ``UploadRejected`` (nothing recorded) for an oversized file, a
    wrong type or a file without the loan-book columns. A file already
    uploaded (same SHA-256) is accepted and linked to the first upload
    (``duplicate_of``); its rows that were imported before are skipped.
    ``store=False`` keeps the file out of storage (dry runs: process it with
    ``file_upload_process(source=...)``).

    ``may_sync_balances``: whether the file's lines may change known loans'
    balances, original amounts and statuses (else those lines wait for
    review). By default, whether ``uploaded_by`` holds
    ``debts.sync_balances``; no user, no right. Only the
    ``import_loan_book`` command (run on the server, without ``--user``)
    passes True.
    """
    reader = file_upload_check(fileobj=fileobj, filename=filename, content_type=content_type)
    sha256, size = _sha256(fileobj)
    region = (phone_region or settings.PHONE_DEFAULT_REGION).upper()
    if may_sync_balances is None:
        may_sync_balances = bool(uploaded_by is not None and uploaded_by.has_perm("debts.sync_balances"))
    upload = FileUpload(
        filename=os.path.basename(filename)[:255],
        sha256=sha256,
        file_size=size,
        uploaded_by=uploaded_by,
        uploaded_by_label=uploaded_by_label[:200],
        duplicate_of=FileUpload.objects.filter(sha256=sha256).order_by("id").first(),
        file_format=reader.file_format,
        encoding=reader.encoding,
        delimiter=reader.delimiter,
        headers=reader.headers,
        phone_region=region,
        may_sync_balances=may_sync_balances,
    )
    if store:
        fileobj.seek(0)
        # Stored under a name of at most FILE_NAME_MAX_BYTES (a long multibyte
        # name would not fit the file system); ``filename`` keeps the original.
        stored_name = storage_file_name(upload.filename, settings.FILE_NAME_MAX_BYTES)
        upload.file.save(stored_name, File(fileobj, name=stored_name), save=False)
    upload.save()
    if enqueue:
        _enqueue_processing(upload.pk)
    return upload


@transaction.atomic
def file_upload_resume(*, upload_id: int, reset_attempts: bool = True) -> FileUpload:
    """Queue an interrupted, stalled or failed upload again; it continues after its last committed chunk.

    A person asking (the admin's "resume") gives it a fresh set of
    JOB_MAX_ATTEMPTS; the scheduled resume (``reset_attempts=False``) queues
    only an upload that has attempts left."""
    upload = FileUpload.objects.select_for_update().get(pk=upload_id)
    if upload.status in FINAL_STATUSES:
        raise UploadRejected(f"upload #{upload.pk} is already {upload.get_status_display().lower()}")
    if not upload.file:
        raise UploadRejected(f"upload #{upload.pk} has no stored file to resume from")
    if reset_attempts and upload.attempts:
        upload.attempts = 0
        upload.save(update_fields=["attempts", "updated_at"])
    _enqueue_processing(upload_id)
    return upload


def file_upload_resume_stalled(*, older_than_minutes: int = 15) -> list[int]:
    """Re-queue uploads whose worker died (no progress for a while); return their ids.

    A SIGKILLed worker's message comes back only after the broker's
    visibility timeout (an hour); this gets the import going sooner. A
    processor that is in fact still alive is harmless: chunks are claimed
    under a row lock on the upload, so no line is imported twice.
    """
    ids = stalled_job_ids(
        FileUpload.objects.exclude(file=""), statuses=(UploadStatus.PROCESSING, UploadStatus.PENDING),
        older_than_minutes=older_than_minutes,
    )
    resumed = []
    for upload_id in ids:
        # One that used up JOB_MAX_ATTEMPTS is failed with the reason, never queued again.
        used_up = FileUpload.objects.filter(pk=upload_id, attempts__gte=settings.JOB_MAX_ATTEMPTS)
        note = attempts_used_up_note(attempts=settings.JOB_MAX_ATTEMPTS, what="import", retry="Resume it from the admin once the cause is fixed.")
        if used_up.update(status=UploadStatus.FAILED, processing_errors=note, updated_at=timezone.now()):
            logger.warning("upload %s: %s", upload_id, note)
            continue
        file_upload_resume(upload_id=upload_id, reset_attempts=False)
        resumed.append(upload_id)
    return resumed
