"""The debt status rules, as pure functions: no database, no settings.

Every path that moves a debt's balance or status (payments and refunds in
``debts.services``, the loan-book import in ``uploads``, the admin and the
API through those services) asks these functions, so there is one rule and
one home for it.

The statuses are spelled here as a ``StrEnum`` rather than imported from the
model choices (``debts.choices.DebtStatus``, a Django ``TextChoices``) so the
rules stay free of Django and mypy can check them strictly;
``debts/tests/test_rules.py`` proves the two spell the same six statuses.
"""
from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    """A debt's status, as stored in ``Debt.status``."""

    ACTIVE = "ACTIVE"
    PAID_OFF = "PAID_OFF"
    DEFAULTED = "DEFAULTED"
    IN_COLLECTION = "IN_COLLECTION"
    SETTLED = "SETTLED"
    WRITTEN_OFF = "WRITTEN_OFF"


# Debts that still owe money and are being worked.
OPEN_STATUSES: tuple[str, ...] = (Status.ACTIVE, Status.IN_COLLECTION, Status.DEFAULTED)
# Closed by agreement or decision: no payment is accepted any more.
FINAL_STATUSES: tuple[str, ...] = (Status.SETTLED, Status.WRITTEN_OFF)

# The explicit transition table. PAID_OFF can be left only when money is owed
# again (a refund, or the lender's ledger says so); SETTLED and WRITTEN_OFF
# are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACTIVE: frozenset({Status.IN_COLLECTION, Status.DEFAULTED, Status.PAID_OFF, Status.SETTLED, Status.WRITTEN_OFF}),
    Status.IN_COLLECTION: frozenset({Status.ACTIVE, Status.DEFAULTED, Status.PAID_OFF, Status.SETTLED, Status.WRITTEN_OFF}),
    Status.DEFAULTED: frozenset({Status.IN_COLLECTION, Status.ACTIVE, Status.PAID_OFF, Status.SETTLED, Status.WRITTEN_OFF}),
    Status.PAID_OFF: frozenset({Status.ACTIVE, Status.IN_COLLECTION, Status.DEFAULTED}),
    Status.SETTLED: frozenset(),
    Status.WRITTEN_OFF: frozenset(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    """True when a debt in ``from_status`` may move to ``to_status`` (staying put is always allowed)."""
    return to_status == from_status or to_status in TRANSITIONS.get(from_status, frozenset())


def reopened_status(*, days_past_due: int, default_after_days: int) -> str:
    """The status of a paid-off debt that owes money again: defaulted when long overdue, else active."""
    return Status.DEFAULTED if days_past_due > default_after_days else Status.ACTIVE


def status_after_balance_change(
    *, status: str, balance: Decimal, days_past_due: int, default_after_days: int
) -> str:
    """The status a debt takes once its balance is ``balance``.

    A zero balance on an open debt pays it off; a paid-off debt that owes
    money again reopens. Settled and written-off debts keep the status staff
    gave them, whatever the balance.
    """
    if balance == 0 and status in OPEN_STATUSES:
        return Status.PAID_OFF
    if balance > 0 and status == Status.PAID_OFF:
        return reopened_status(days_past_due=days_past_due, default_after_days=default_after_days)
    return status
