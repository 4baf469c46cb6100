"""Celery tasks for loan-book uploads. Thin: take an id, call a service.

The services queue these by name (``core.tasks``), so this module imports
them and never the other way round.
"""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from uploads import services
from uploads.services.retention import file_upload_original_purge_if_immediate, originals_purge


@shared_task(
    name="uploads.tasks.process_upload",
    acks_late=True,
    # A redelivered or retried run continues after the last committed chunk.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def process_upload(upload_id: int) -> str:
    """Import a stored loan book chunk by chunk; safe to run twice or after a crash.
    With UPLOAD_RETENTION_DAYS=0 the original is deleted once it is processed."""
    status = services.file_upload_process(upload_id=upload_id).status
    file_upload_original_purge_if_immediate(upload_id=upload_id)
    return status


@shared_task(name="uploads.tasks.resume_stalled_uploads", acks_late=True)
def resume_stalled_uploads(older_than_minutes: int = 15) -> list[int]:
    """Re-queue uploads whose worker died mid-way (suggested beat entry: every 5 minutes)."""
    return services.file_upload_resume_stalled(older_than_minutes=older_than_minutes)


@shared_task(name="uploads.tasks.purge_uploaded_originals", acks_late=True)
def purge_uploaded_originals() -> dict[str, int]:
    """Beat entry ``purge-uploaded-originals``: delete the loan-book and
    statement originals older than UPLOAD_RETENTION_DAYS (rows are kept)."""
    return originals_purge()
