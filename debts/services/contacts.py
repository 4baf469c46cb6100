"""Communication logs: every contact with a customer (a call, an SMS, a
visit…) is one row, and recording it moves the customer's last contact date.

Who made the contact is not the caller's to claim: when a person records a
log (admin, API) ``agent_id`` is that person's username, and a different one
is refused. Only a system path with no user (the telephony webhook, the demo
seed) names itself in ``agent_id``. A log's call session is a call to the
log's own customer.

What came of the contact is a disposition from the managed list
(``debts.Disposition``): given as the disposition itself, its id or its code
(``outcome=`` is read the same way, for the seed's name). The log keeps the
code in ``outcome`` too. A disposition that ``needs_next_action`` requires a
``next_action_date``; the date goes on the log and on its debt, which the
work queue then leaves out until that day. Free text goes in ``notes``."""
from __future__ import annotations

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.phones import try_normalize_phone
from customers.models import Customer
from customers.services import customer_record_contact
from debts.choices import CommunicationDirection, CommunicationOutcome, CommunicationType
from debts.models import CommunicationLog, Debt, Disposition

COMMUNICATION_LOG_EDITABLE = frozenset({"outcome", "disposition", "next_action_date", "notes", "duration_seconds", "contact_email", "debt"})
# How far ahead a next action may be set: a snooze, not a way to hide an account.
MAX_NEXT_ACTION_DAYS = 90


def resolve_disposition(value, *, field: str = "disposition") -> Disposition | None:
    """The Disposition ``value`` names (the row, its id, or its code or label
    in any case and spacing: "No answer", "no_answer"), ``None`` for blank.
    Unknown or inactive ones are refused, naming the active codes."""
    if value is None or value == "":
        return None
    if isinstance(value, Disposition):
        found = value
    elif isinstance(value, int):
        found = Disposition.objects.filter(pk=value).first()
    else:
        key = re.sub(r"[^a-z0-9]+", "_", str(value).strip().lower()).strip("_")
        found = Disposition.objects.filter(code=key).first() or Disposition.objects.filter(label__iexact=str(value).strip()).first()
    if found is None or not found.active:
        codes = ", ".join(Disposition.objects.filter(active=True).values_list("code", flat=True))
        raise ValidationError({field: f"{value!r} is not a disposition in use; use one of: {codes}."})
    return found


def system_disposition(code: str) -> Disposition:
    """The disposition a system path (a finished call, the demo seed) records
    for an outcome it observed. A fact is not a choice: the row is made if
    the managed list lacks it, and used even if ops retired it from the
    agents' list, so a finished call never fails to be logged."""
    label = CommunicationOutcome(code).label if code in CommunicationOutcome.values else code.replace("_", " ").capitalize()
    found, _ = Disposition.objects.get_or_create(code=str(code), defaults={"label": label, "sort_order": 500})
    return found


def _chosen_disposition(disposition, outcome, agent_user, observed: bool) -> Disposition | None:
    value, field = (disposition, "disposition") if disposition not in (None, "") else (outcome, "outcome")
    if observed or not getattr(agent_user, "pk", None):
        # A system path (no person): an outcome it names from CommunicationOutcome is what happened.
        if isinstance(value, Disposition):
            return value
        if isinstance(value, str) and value in CommunicationOutcome.values:
            return system_disposition(str(CommunicationOutcome(value).value))
    return resolve_disposition(value, field=field)


def _check_next_action(disposition: Disposition | None, next_action_date: date | None, today: date) -> None:
    if next_action_date is not None:
        if next_action_date < today:
            raise ValidationError({"next_action_date": f"{next_action_date} is in the past."})
        if (next_action_date - today).days > MAX_NEXT_ACTION_DAYS:
            raise ValidationError({"next_action_date": f"At most {MAX_NEXT_ACTION_DAYS} days ahead."})
    elif disposition is not None and disposition.needs_next_action:
        raise ValidationError({"next_action_date": f"“{disposition.label}” needs a next action date."})


def _move_debt_next_action(debt_id: int | None, next_action_date: date | None) -> None:
    # The latest contact decides: a new contact without a date puts the debt
    # straight back in the queue. history is not written for it: the log is
    # the record of why.
    if debt_id is not None:
        Debt.objects.filter(pk=debt_id).update(next_action_date=next_action_date)
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
    disposition=None,
    next_action_date: date | None = None,
    notes: str = "",
    agent_id: str = "",
    agent_user=None,
    observed_outcome: bool = False,
) -> CommunicationLog:
    """Record one contact with a customer and move their last contact date.

    ``observed_outcome``: the outcome is what a system saw (a finished call's
    status), not a person's choice, even when the call was placed by a
    person; it is recorded through ``system_disposition``.

    A call session produces at most one log (database constraint); calling
    this again for the same ``call_session_id`` returns the existing log.
    With an ``agent_user``, ``agent_id`` is that user's username (naming
    anyone else is refused); without one, it names the system that made the
    contact. The call session, if any, must be a call to ``customer_id``.
    ``disposition`` (or ``outcome``, the same thing by its seed name) and
    ``next_action_date`` as the module docstring says.
    """
    if disposition not in (None, "") and outcome and resolve_disposition(outcome, field="outcome") != resolve_disposition(disposition):
        raise ValidationError({"outcome": "Give the disposition once (disposition or outcome), not two different ones."})
    chosen = _chosen_disposition(disposition, outcome, agent_user, observed_outcome)
    _check_next_action(chosen, next_action_date, timezone.localdate())
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
        outcome=chosen.code if chosen else "",
        disposition=chosen,
        next_action_date=next_action_date,
        notes=notes or "",
        agent_id=agent_id or "",
        agent_user=agent_user if getattr(agent_user, "pk", None) else None,
    )
    log.full_clean(exclude=_FULL_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    saved = _save_new_log(log)
    if saved is not log:
        return saved
    customer_record_contact(customer_id=customer_id, when=timestamp)
    _move_debt_next_action(debt_id, next_action_date)
    return log


@transaction.atomic
def communication_log_update(*, log_id: int, data: dict) -> CommunicationLog:
    """Correct a log's disposition (``outcome`` is the same, by code), next
    action date, notes, duration, email or debt. When and with whom it
    happened stay as recorded."""
    refused = set(data) - COMMUNICATION_LOG_EDITABLE
    if refused:
        raise ValidationError({name: "Cannot be changed after the contact is logged." for name in sorted(refused)})
    log = CommunicationLog.objects.select_for_update().get(pk=log_id)
    if "debt" in data:
        debt = data.pop("debt")
        debt_id = getattr(debt, "pk", debt)
        _check_debt_of_customer(debt_id, log.customer_id)
        log.debt_id = debt_id
    if "disposition" in data or "outcome" in data:
        value = data.pop("disposition", None)
        chosen = resolve_disposition(value) if value not in (None, "") else resolve_disposition(data.get("outcome"), field="outcome")
        data.pop("outcome", None)
        log.disposition, log.outcome = chosen, chosen.code if chosen else ""
    if "next_action_date" in data:
        log.next_action_date = data.pop("next_action_date")
        _check_next_action(log.disposition, log.next_action_date, timezone.localdate())
        _move_debt_next_action(log.debt_id, log.next_action_date)
    for name, value in data.items():
        setattr(log, name, value)
    log.full_clean(exclude=_FULL_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    log.save()
    return log
