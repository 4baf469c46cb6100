"""Uploaded originals past ``UPLOAD_RETENTION_DAYS`` (0: as soon as they are
processed). A loan book holds national IDs in clear: once its rows are
imported, the customers and debts (identifiers encrypted, masked where shown)
and the upload's rows are what ops needs, not the file."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.retention import purge_file_field
from statements.services.retention import statement_originals_purge
from uploads.choices import UploadStatus
from uploads.models import FileUpload

FINISHED = (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS, UploadStatus.FAILED)


def file_upload_originals_purge(*, older_than: datetime, upload_ids: list[int] | None = None) -> int:
    """Delete the stored file of every finished upload that finished before
    ``older_than``; an upload still pending or processing keeps its file
    (resuming a stalled upload reads it)."""
    qs = FileUpload.objects.filter(status__in=FINISHED).filter(
        Q(completed_at__lte=older_than) | Q(completed_at__isnull=True, updated_at__lte=older_than)
    )
    if upload_ids is not None:
        qs = qs.filter(pk__in=upload_ids)
    return purge_file_field(qs)


def file_upload_original_purge_if_immediate(*, upload_id: int) -> int:
    """With ``UPLOAD_RETENTION_DAYS=0``, the loan book goes as soon as it is processed."""
    if settings.UPLOAD_RETENTION_DAYS != 0:
        return 0
    return file_upload_originals_purge(older_than=timezone.now(), upload_ids=[upload_id])


def originals_purge(*, retention_days: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """Every upload and statement original older than the retention (the
    ``purge_originals`` command and the beat entry ``purge-uploaded-originals``)."""
    days = settings.UPLOAD_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return {
        "uploads": file_upload_originals_purge(older_than=cutoff),
        "statements": statement_originals_purge(older_than=cutoff),
    }
