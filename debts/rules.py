"""The debt status rules, as pure functions: no database, no settings.

Every path that moves a debt's balance or status (payments and refunds in
``debts.services``, the loan-book import in ``uploads``, the admin and the
API through those services) asks these functions, so there is one rule and
one home for it.
"""
from __future__ import annotations

from decimal import Decimal

from debts.choices import DebtStatus

# Debts that still owe money and are being worked.
OPEN_STATUSES: tuple[str, ...] = (DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED)
# Closed by agreement or decision: no payment is accepted any more.
FINAL_STATUSES: tuple[str, ...] = (DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF)

# The explicit transition table. PAID_OFF can be left only when money is owed
# again (a refund, or the lender's ledger says so); SETTLED and WRITTEN_OFF
# are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    DebtStatus.ACTIVE: frozenset(
        {DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED, DebtStatus.PAID_OFF, DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF}
    ),
    DebtStatus.IN_COLLECTION: frozenset(
        {DebtStatus.ACTIVE, DebtStatus.DEFAULTED, DebtStatus.PAID_OFF, DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF}
    ),
    DebtStatus.DEFAULTED: frozenset(
        {DebtStatus.IN_COLLECTION, DebtStatus.ACTIVE, DebtStatus.PAID_OFF, DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF}
    ),
    DebtStatus.PAID_OFF: frozenset({DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED}),
    DebtStatus.SETTLED: frozenset(),
    DebtStatus.WRITTEN_OFF: frozenset(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    """True when a debt in ``from_status`` may move to ``to_status`` (staying put is always allowed)."""
    return to_status == from_status or to_status in TRANSITIONS.get(from_status, frozenset())


def reopened_status(*, days_past_due: int, default_after_days: int) -> str:
    """The status of a paid-off debt that owes money again: defaulted when long overdue, else active."""
    return DebtStatus.DEFAULTED if days_past_due > default_after_days else DebtStatus.ACTIVE


def status_after_balance_change(
    *, status: str, balance: Decimal, days_past_due: int, default_after_days: int
) -> str:
    """The status a debt takes once its balance is ``balance``.

    A zero balance on an open debt pays it off; a paid-off debt that owes
    money again reopens. Settled and written-off debts keep the status staff
    gave them, whatever the balance.
    """
    if balance == 0 and status in OPEN_STATUSES:
        return DebtStatus.PAID_OFF
    if balance > 0 and status == DebtStatus.PAID_OFF:
        return reopened_status(days_past_due=days_past_due, default_after_days=default_after_days)
    return status
