"""Celery tasks for statements. Thin: take ids, call ``statements.services``.

The services queue these by name (``core.tasks``), so this module imports
them and never the other way round.
"""
from __future__ import annotations

import logging

from celery import shared_task

from statements import services
from statements.services.retention import statement_originals_purge_for_job

logger = logging.getLogger(__name__)


@shared_task(name="statements.tasks.process_import_job", acks_late=True)
def process_import_job(job_id: int) -> dict:
    """Import every pending file of job ``job_id``. Redelivery after a worker
    died resumes with the files not yet recorded."""
    job = services.statement_import_job_run(job_id)
    # UPLOAD_RETENTION_DAYS=0: the job's originals go once they are recorded.
    statement_originals_purge_for_job(job_id=job_id)
    return {"job": job.pk, "status": job.status, "imported": job.imported_count, "duplicates": job.duplicate_count, "failed": job.failed_count}


@shared_task(name="statements.tasks.scan_statement_inbox", acks_late=True)
def scan_statement_inbox() -> dict:
    """Beat entry ``scan-statement-inbox``: claim settled files in
    STATEMENT_INBOX_DIR and start an import job for them."""
    scan = services.statement_inbox_scan()
    if scan.claimed:
        logger.info("inbox: %s file(s) claimed for import job %s", len(scan.claimed), scan.job.pk)
    return {"job": scan.job.pk if scan.job else None, "claimed": len(scan.claimed), "waiting": len(scan.waiting)}


@shared_task(name="statements.tasks.reverify_statements", acks_late=True)
def reverify_statements(statement_ids: list[int], enrich: bool = False) -> dict:
    """Rebuild processed rows and summaries from the stored raw rows (admin
    actions "re-verify" and, with ``enrich``, "reprocess")."""
    return services.statements_reverify(statement_ids=statement_ids, enrich=enrich)


@shared_task(name="statements.tasks.requeue_stalled_imports", acks_late=True)
def requeue_stalled_imports(older_than_minutes: int = 15) -> list[int]:
    """Beat entry: import jobs whose message was lost (broker down, worker
    killed) are queued again; files already recorded are not redone."""
    return services.statement_import_jobs_requeue_stalled(older_than_minutes=older_than_minutes)
