"""Properties of the verification rules over generated ledgers (hypothesis; no database).

Whatever order the file lists a consistent ledger in, the engine finds the
true order and every balance holds; one edited stated balance is always seen.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statements.engine import verify
from statements.engine.types import ParsedStatement, RawTxn

T0 = datetime(2025, 1, 1, 8, 0)

moves = st.lists(
    st.tuples(
        st.integers(min_value=-500_000, max_value=500_000).filter(bool),  # signed amount
        st.sampled_from([0, 0, 500, 1000]),  # fee
        st.integers(min_value=1, max_value=3 * 24 * 60),  # minutes since the previous row
    ),
    min_size=2,
    max_size=40,
)


def ledger(spec, opening=Decimal(2_000_000)) -> list[RawTxn]:
    """Airtel format-1 rows whose stated balances follow the format's rule."""
    rows, balance, when = [], opening, T0
    for n, (amount, fee, minutes) in enumerate(spec, start=1):
        when += timedelta(minutes=minutes)
        amount, fee = Decimal(amount), Decimal(fee)
        balance += amount - fee
        rows.append(RawTxn(row_no=n, txn_id=f"T{n}", txn_date=when, amount=amount, fee=fee, balance=balance,
                           description="Received from 700000000" if amount > 0 else "Sent to 700000000",
                           direction="credit" if amount > 0 else "debit"))
    return rows


def parsed(rows) -> ParsedStatement:
    return ParsedStatement(provider="UATL", format="csv_format_1", file_kind="csv", acc_number="700000000", transactions=rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=moves, order=st.randoms(use_true_random=False))
def test_a_consistent_ledger_verifies_in_any_file_order(spec, order):
    rows = ledger(spec)
    shuffled = rows[:]
    order.shuffle(shuffled)
    result = verify.process(parsed(shuffled))
    s = result.summary
    assert [p.raw.txn_id for p in result.transactions] == [t.txn_id for t in rows]
    assert (s.balance_match, s.verification_status, s.balance_diff_changes) == ("Success", "PASS", 0)
    assert s.opening_balance_calculated == Decimal(2_000_000)
    assert s.closing_balance_calculated == rows[-1].balance
    assert all(p.balance_diff == 0 for p in result.transactions)


@settings(max_examples=60, deadline=None)
@given(spec=moves, data=st.data())
def test_an_edited_stated_balance_is_always_seen(spec, data):
    rows = ledger(spec)
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    bump = Decimal(data.draw(st.integers(min_value=1, max_value=10_000_000)))
    rows[index].balance += bump
    s = verify.process(parsed(rows)).summary
    # The first row fixes the opening balance, so an edit there shows as a
    # difference on the next row; an edit of the last row fails the closing.
    assert s.balance_diff_changes >= 1 or s.balance_match == "Failed"
    if index == len(rows) - 1:
        assert s.verification_status == "FAIL"


def _groups_of_at_most_six(spec) -> bool:
    run = 1
    for _, _, minutes in spec[1:]:
        run = run + 1 if minutes == 0 else 1
        if run > 6:
            return False
    return True


same_minute_moves = st.lists(
    st.tuples(
        st.integers(min_value=-500_000, max_value=500_000).filter(bool),
        st.sampled_from([0, 0, 500, 1000]),
        st.sampled_from([0, 0, 0, 1, 5, 90]),  # many rows share a timestamp
    ),
    min_size=2,
    max_size=30,
).filter(_groups_of_at_most_six)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(spec=same_minute_moves, order=st.randoms(use_true_random=False))
def test_rows_sharing_a_timestamp_are_put_back_in_balance_order(spec, order):
    rows = ledger(spec)
    shuffled = rows[:]
    order.shuffle(shuffled)
    s = verify.process(parsed(shuffled)).summary
    assert (s.balance_match, s.balance_diff_changes) == ("Success", 0)
