"""Communication logs: every contact with a customer (a call, an SMS, a
visit…) is one row, and recording it moves the customer's last contact date.

Who made the contact is not the caller's to claim: when a person records a
log (admin, API) ``agent_id`` is that person's username, and a different one
is refused. Only a system path with no user (the telephony webhook, the demo
seed) names itself in ``agent_id``. A log's call session is a call to the
log's own customer."""
from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.phones import try_normalize_phone
from customers.models import Customer
from customers.services import customer_record_contact
from debts.choices import CommunicationDirection, CommunicationType
from debts.models import CommunicationLog, Debt

COMMUNICATION_LOG_EDITABLE = frozenset({"outcome", "notes", "duration_seconds", "contact_email", "debt"})
# Foreign keys full_clean would look up one query each: the customer and
# debt are checked here, the call session and agent come from our own code.
_FULL_CLEAN_EXCLUDE = ["customer", "debt", "call_session", "agent_user"]


def _check_new_log(*, customer_id: int, communication_type: str, direction: str, debt_id: int | None, duration_seconds) -> None:
    if communication_type not in CommunicationType.values:
        raise ValidationError(
            {"communication_type": f"Unknown communication type {communication_type!r}; use one of {', '.join(CommunicationType.values)}."}
        )
    if direction not in CommunicationDirection.values:
        raise ValidationError({"direction": f"Unknown direction {direction!r}; use inbound or outbound."})
    if duration_seconds is not None and int(duration_seconds) < 0:
        raise ValidationError({"duration_seconds": "The duration cannot be negative."})
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": f"Customer #{customer_id} does not exist."})
    _check_debt_of_customer(debt_id, customer_id)


def _check_call_session_of_customer(call_session_id: int | None, customer_id: int) -> None:
    if call_session_id is None:
        return
    # calls sits above debts: its model is reached through our foreign key, not imported.
    call_sessions = CommunicationLog._meta.get_field("call_session").related_model.objects
    owner_id = call_sessions.filter(pk=call_session_id).values_list("customer_id", flat=True).first()
    if owner_id is None:
        raise ValidationError({"call_session": f"Call session #{call_session_id} does not exist."})
    if owner_id != customer_id:
        raise ValidationError(
            {"call_session": f"Call session #{call_session_id} is a call to customer #{owner_id}, not to customer #{customer_id}; "
                             f"a log names a call of its own customer."}
        )


def _agent_id_for(agent_id: str, agent_user) -> str:
    """The log's ``agent_id``: the user's username when a user records it (a
    different one is refused), else what the system path names itself."""
    agent_id = (agent_id or "").strip()
    if not getattr(agent_user, "pk", None):
        return agent_id
    username = agent_user.get_username()
    if agent_id and agent_id != username:
        raise ValidationError(
            {"agent_id": f"The agent is the user recording the contact ({username}); {agent_id!r} cannot be named instead."}
        )
    return username


def _check_debt_of_customer(debt_id: int | None, customer_id: int) -> None:
    if debt_id is not None and not Debt.objects.filter(pk=debt_id, customer_id=customer_id).exists():
        raise ValidationError({"debt": f"Debt #{debt_id} is not a debt of customer #{customer_id}."})


def _save_new_log(log: CommunicationLog) -> CommunicationLog:
    """Save ``log``; for a call, the log another writer saved first wins."""
    if log.call_session_id is None:
        log.save()
        return log
    try:
        with transaction.atomic():
            log.save()
    except IntegrityError:
        # The provider's webhook and the reconciler finished the same call.
        return CommunicationLog.objects.get(call_session_id=log.call_session_id)
    return log


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
    With an ``agent_user``, ``agent_id`` is that user's username (naming
    anyone else is refused); without one, it names the system that made the
    contact. The call session, if any, must be a call to ``customer_id``.
    """
    _check_new_log(
        customer_id=customer_id, communication_type=communication_type, direction=direction,
        debt_id=debt_id, duration_seconds=duration_seconds,
    )
    _check_call_session_of_customer(call_session_id, customer_id)
    agent_id = _agent_id_for(agent_id, agent_user)
    if call_session_id is not None:
        existing = CommunicationLog.objects.filter(call_session_id=call_session_id).first()
        if existing:
            return existing
    if contact_phone:
        # A contact that happened is logged whatever the number looked like:
        # E.164 when it can be read, else as given.
        contact_phone = try_normalize_phone(contact_phone) or str(contact_phone).strip()[:20]
    timestamp = timestamp or timezone.now()
    log = CommunicationLog(
        customer_id=customer_id,
        debt_id=debt_id,
        call_session_id=call_session_id,
        communication_type=communication_type,
        direction=direction,
        timestamp=timestamp,
        duration_seconds=duration_seconds,
        contact_phone=contact_phone or "",
        contact_email=contact_email or "",
        outcome=outcome or "",
        notes=notes or "",
        agent_id=agent_id or "",
        agent_user=agent_user if getattr(agent_user, "pk", None) else None,
    )
    log.full_clean(exclude=_FULL_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    saved = _save_new_log(log)
    if saved is not log:
        return saved
    customer_record_contact(customer_id=customer_id, when=timestamp)
    return log


@transaction.atomic
def communication_log_update(*, log_id: int, data: dict) -> CommunicationLog:
    """Correct a log's outcome or notes. When and with whom it happened stay as recorded."""
    refused = set(data) - COMMUNICATION_LOG_EDITABLE
    if refused:
        raise ValidationError({name: "Cannot be changed after the contact is logged." for name in sorted(refused)})
    log = CommunicationLog.objects.select_for_update().get(pk=log_id)
    if "debt" in data:
        debt = data.pop("debt")
        debt_id = getattr(debt, "pk", debt)
        _check_debt_of_customer(debt_id, log.customer_id)
        log.debt_id = debt_id
    for name, value in data.items():
        setattr(log, name, value)
    log.full_clean(exclude=_FULL_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    log.save()
    return log
