"""Celery tasks for collections. Thin: load by id, call a service."""
from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task

from debts import services

logger = logging.getLogger(__name__)


@shared_task(name="debts.tasks.update_delinquency", acks_late=True)
def update_delinquency() -> dict:
    """Nightly (beat entry ``update-delinquency-nightly``): days past due,
    defaults and promise outcomes, for every debt."""
    result = services.debts_update_delinquency()
    logger.info(
        "update_delinquency: %s days-past-due changed, %s defaulted, %s promises kept, %s broken in %.1fs",
        result.days_past_due_changed, result.moved_to_defaulted, result.promises_kept, result.promises_broken, result.seconds,
    )
    summary = asdict(result)
    summary["today"] = result.today.isoformat()
    return summary


@shared_task(name="debts.tasks.complete_payment", acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def complete_payment(payment_id: int) -> str:
    """Complete a payment confirmed by a provider callback; safe to redeliver."""
    return services.payment_complete(payment_id=payment_id).status
