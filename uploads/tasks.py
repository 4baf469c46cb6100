"""Celery tasks for loan-book uploads. Thin: take an id, call a service.

The services queue these by name (``core.tasks``), so this module imports
them and never the other way round.
"""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from uploads import services


@shared_task(
    name="uploads.tasks.process_upload",
    acks_late=True,
    # A redelivered or retried run continues after the last committed chunk.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def process_upload(upload_id: int) -> str:
    """Import a stored loan book chunk by chunk; safe to run twice or after a crash."""
    return services.file_upload_process(upload_id=upload_id).status


@shared_task(name="uploads.tasks.resume_stalled_uploads", acks_late=True)
def resume_stalled_uploads(older_than_minutes: int = 15) -> list[int]:
    """Re-queue uploads whose worker died mid-way (suggested beat entry: every 5 minutes)."""
    return services.file_upload_resume_stalled(older_than_minutes=older_than_minutes)
