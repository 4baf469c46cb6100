"""The debt status rules, checked the way a lender reads them: pure, no database.

Every pair of statuses is listed once, with the answer the lending policy
gives, so a change to ``debts.rules.TRANSITIONS`` shows up here as a named
case rather than a silent difference.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from debts.choices import DebtStatus
from debts.rules import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Status,
    can_transition,
    reopened_status,
    status_after_balance_change,
)

ACTIVE, IN_COLLECTION, DEFAULTED = "ACTIVE", "IN_COLLECTION", "DEFAULTED"
PAID_OFF, SETTLED, WRITTEN_OFF = "PAID_OFF", "SETTLED", "WRITTEN_OFF"
ALL = (ACTIVE, IN_COLLECTION, DEFAULTED, PAID_OFF, SETTLED, WRITTEN_OFF)

# What the lender allows, from each status to every other one.
ALLOWED = {
    # A debt being worked can move between the working states, be paid off,
    # settled for less, or written off as a loss.
    ACTIVE: {IN_COLLECTION, DEFAULTED, PAID_OFF, SETTLED, WRITTEN_OFF},
    IN_COLLECTION: {ACTIVE, DEFAULTED, PAID_OFF, SETTLED, WRITTEN_OFF},
    DEFAULTED: {ACTIVE, IN_COLLECTION, PAID_OFF, SETTLED, WRITTEN_OFF},
    # A paid-off debt only reopens (money is owed again); it is never settled
    # or written off, since nothing is left to forgive or lose.
    PAID_OFF: {ACTIVE, IN_COLLECTION, DEFAULTED},
    # Settlement and write-off are decisions: nothing moves a debt out of them.
    SETTLED: set(),
    WRITTEN_OFF: set(),
}

EVERY_MOVE = [(a, b) for a in ALL for b in ALL if a != b]


def test_the_rules_spell_the_same_statuses_as_the_model():
    assert sorted(Status) == sorted(DebtStatus.values)
    assert set(TRANSITIONS) == set(DebtStatus.values)


def test_open_and_final_statuses():
    assert set(OPEN_STATUSES) == {ACTIVE, IN_COLLECTION, DEFAULTED}
    assert set(FINAL_STATUSES) == {SETTLED, WRITTEN_OFF}
    # Paid off is neither: it is closed, but a refund can reopen it.
    assert PAID_OFF not in OPEN_STATUSES and PAID_OFF not in FINAL_STATUSES


@pytest.mark.parametrize(("from_status", "to_status"), EVERY_MOVE)
def test_every_transition(from_status, to_status):
    assert can_transition(from_status, to_status) is (to_status in ALLOWED[from_status])


def test_the_table_is_exactly_the_policy():
    assert {status: set(targets) for status, targets in TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize("status", ALL)
def test_staying_put_is_always_allowed(status):
    assert can_transition(status, status)


def test_an_unknown_status_moves_nowhere():
    assert not can_transition("ARCHIVED", ACTIVE)
    assert not can_transition(ACTIVE, "ARCHIVED")


@pytest.mark.parametrize(
    ("days_past_due", "expected"),
    [(0, ACTIVE), (89, ACTIVE), (90, ACTIVE), (91, DEFAULTED), (400, DEFAULTED)],
)
def test_a_reopened_debt_defaults_only_past_the_threshold(days_past_due, expected):
    assert reopened_status(days_past_due=days_past_due, default_after_days=90) == expected


def _after(status: str, balance: str, *, days_past_due: int = 0, default_after_days: int = 90) -> str:
    return status_after_balance_change(
        status=status, balance=Decimal(balance), days_past_due=days_past_due, default_after_days=default_after_days
    )


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_paying_an_open_debt_down_to_zero_pays_it_off(status):
    assert _after(status, "0.00") == PAID_OFF


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_a_part_payment_leaves_an_open_debt_as_it_was(status):
    assert _after(status, "0.01") == status
    assert _after(status, "250.00", days_past_due=200) == status


def test_a_refund_reopens_a_paid_off_debt_as_active():
    assert _after(PAID_OFF, "100.00", days_past_due=10) == ACTIVE


def test_a_refund_reopens_a_long_overdue_paid_off_debt_as_defaulted():
    assert _after(PAID_OFF, "100.00", days_past_due=120) == DEFAULTED
    assert _after(PAID_OFF, "100.00", days_past_due=120, default_after_days=180) == ACTIVE


def test_a_paid_off_debt_at_zero_stays_paid_off():
    assert _after(PAID_OFF, "0.00") == PAID_OFF


@pytest.mark.parametrize("status", FINAL_STATUSES)
@pytest.mark.parametrize("balance", ["0.00", "0.01", "5000.00"])
def test_settled_and_written_off_debts_keep_their_status_whatever_the_balance(status, balance):
    assert _after(status, balance, days_past_due=365) == status


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("balance", ["0.00", "0.01", "5000.00"])
def test_every_status_a_balance_change_gives_is_a_move_the_table_allows(status, balance):
    assert can_transition(status, _after(status, balance, days_past_due=365))
