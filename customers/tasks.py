"""Celery tasks for customers. Thin: they call a service."""
from __future__ import annotations

import logging

from celery import shared_task

from customers.details import customer_details_retry_pending

logger = logging.getLogger(__name__)


@shared_task(name="customers.tasks.retry_pending_customer_details", acks_late=True)
def retry_pending_customer_details(limit: int = 5000) -> dict:
    """Every 30 minutes (beat entry ``retry-pending-customer-details``): ask the
    core database again for details left ``pending`` while it was down, and
    re-enrich their statements."""
    summary = customer_details_retry_pending(limit=limit)
    logger.info(
        "retry_pending_customer_details: %(pending)s pending, %(synced)s synced, %(not_found)s not found, "
        "%(still_pending)s still pending %(core_error)s",
        summary,
    )
    return summary
