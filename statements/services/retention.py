"""Statement originals past ``UPLOAD_RETENTION_DAYS``: the file goes, the
statement, its transactions, summary and verdict stay (they are what ops
reads; account numbers in them are masked where shown)."""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from core.retention import purge_file_field
from statements.models import Statement


def statement_originals_purge(*, older_than: datetime, statement_ids: list[int] | None = None) -> int:
    """Delete the stored file of every statement read before ``older_than``."""
    qs = Statement.objects.filter(created_at__lte=older_than)
    if statement_ids is not None:
        qs = qs.filter(pk__in=statement_ids)
    return purge_file_field(qs)


def statement_originals_purge_for_job(*, job_id: int) -> int:
    """With ``UPLOAD_RETENTION_DAYS=0``, the originals of an import job go as
    soon as the job has recorded them; otherwise nothing happens here."""
    if settings.UPLOAD_RETENTION_DAYS != 0:
        return 0
    return purge_file_field(Statement.objects.filter(import_job_id=job_id, created_at__lte=timezone.now()))
