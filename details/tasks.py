"""Celery tasks for customer details. Thin: they call a service."""
from __future__ import annotations

import logging

from celery import shared_task

from details.services import customer_details_retry_pending

logger = logging.getLogger(__name__)


# The name is the one the task had in ``customers``: beat schedules and
# queued messages still refer to it.
@shared_task(name="customers.tasks.retry_pending_customer_details", acks_late=True)
def retry_pending_customer_details(limit: int = 5000) -> dict:
    """Every 30 minutes (beat entry ``retry-pending-customer-details``): ask the
    core database again for details left ``pending`` while it was down; the
    statements of those that answered are re-enriched (``details_resynced``)."""
    summary = customer_details_retry_pending(limit=limit)
    logger.info(
        "retry_pending_customer_details: %(pending)s pending, %(synced)s synced, %(not_found)s not found, "
        "%(still_pending)s still pending %(core_error)s",
        summary,
    )
    return summary
