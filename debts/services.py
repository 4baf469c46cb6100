"""Writes to debts, payments, communication logs and promises.

Every path that moves money or records a contact (admin, API, tasks,
commands) calls a function here.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from debts.choices import CommunicationDirection, CommunicationType
from debts.models import CommunicationLog


@transaction.atomic
def communication_log_create(
    *,
    customer_id: int,
    communication_type: str,
    direction: str = CommunicationDirection.OUTBOUND,
    timestamp: datetime | None = None,
    debt_id: int | None = None,
    call_session_id: int | None = None,
    duration_seconds: int | None = None,
    contact_phone: str = "",
    contact_email: str = "",
    outcome: str = "",
    notes: str = "",
    agent_id: str = "",
    agent_user=None,
) -> CommunicationLog:
    """Record one contact with a customer and move their last contact date.

    A call session produces at most one log (database constraint); calling
    this again for the same ``call_session_id`` returns the existing log.
    """
    from customers.services import customer_record_contact

    if communication_type not in CommunicationType.values:
        raise ValueError(f"unknown communication_type {communication_type!r}")
    if direction not in CommunicationDirection.values:
        raise ValueError(f"unknown direction {direction!r}")
    if call_session_id is not None:
        existing = CommunicationLog.objects.filter(call_session_id=call_session_id).first()
        if existing:
            return existing
    timestamp = timestamp or timezone.now()
    log = CommunicationLog.objects.create(
        customer_id=customer_id,
        debt_id=debt_id,
        call_session_id=call_session_id,
        communication_type=communication_type,
        direction=direction,
        timestamp=timestamp,
        duration_seconds=duration_seconds,
        contact_phone=contact_phone,
        contact_email=contact_email,
        outcome=outcome,
        notes=notes,
        agent_id=agent_id,
        agent_user=agent_user,
    )
    customer_record_contact(customer_id=customer_id, when=timestamp)
    return log
