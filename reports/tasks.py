"""Celery tasks for the reports. Thin: call the service."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from reports import services

logger = logging.getLogger(__name__)


# A lock wait (the partition swap gives up after 60 s behind a long read of
# portfolio_snapshots) leaves the date as it was; the task tries again.
@shared_task(
    name="reports.tasks.snapshot_portfolio", acks_late=True,
    autoretry_for=(OperationalError,), retry_backoff=120, retry_backoff_max=900, max_retries=3,
)
def snapshot_portfolio() -> dict:
    """Nightly (beat entry ``snapshot-portfolio-nightly``): today's portfolio snapshot."""
    result = services.portfolio_snapshot_take()
    logger.info("snapshot_portfolio %s: %s rows written (%s replaced) in %.1fs", result.as_of, result.rows_written, result.rows_deleted, result.seconds)
    return {"as_of": result.as_of.isoformat(), "rows_written": result.rows_written, "rows_deleted": result.rows_deleted,
            "seconds": round(result.seconds, 3)}


@shared_task(name="reports.tasks.summarise_collections", acks_late=True)
def summarise_collections() -> dict:
    """Every 15 minutes (beat entry ``summarise-collections``, so also after
    the nightly snapshot): the collections summary brought up to date."""
    run = services.collection_summary_refresh()
    if run is None:
        logger.info("summarise_collections: another run is in progress")
        return {"skipped": True}
    logger.info("summarise_collections: %s pairs summed, %s changed days, in %.1fs", run.days_built, run.changed_days, run.seconds)
    return {"days_built": run.days_built, "changed_days": run.changed_days, "days_dropped": run.days_dropped, "seconds": run.seconds}
