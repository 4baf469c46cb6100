"""Celery tasks for the reports. Thin: call the service."""
from __future__ import annotations

import logging

from celery import shared_task

from reports import services

logger = logging.getLogger(__name__)


@shared_task(name="reports.tasks.snapshot_portfolio", acks_late=True)
def snapshot_portfolio() -> dict:
    """Nightly (beat entry ``snapshot-portfolio-nightly``): today's portfolio snapshot."""
    result = services.portfolio_snapshot_take()
    logger.info("snapshot_portfolio %s: %s rows written (%s replaced) in %.1fs", result.as_of, result.rows_written, result.rows_deleted, result.seconds)
    return {"as_of": result.as_of.isoformat(), "rows_written": result.rows_written, "rows_deleted": result.rows_deleted,
            "seconds": round(result.seconds, 3)}
