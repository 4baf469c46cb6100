"""The general processing and verification rules, one function at a time (no database)."""
from datetime import datetime, timedelta
from decimal import Decimal

from statements.engine import verify
from statements.engine.types import ParsedStatement, RawTxn
from statements.engine.vocabulary import SpecialType

D = Decimal
T0 = datetime(2025, 9, 1, 8, 0)


def txn(n, amount, balance, *, minutes=None, fee="0", description="Received", txn_id=None, when=None):
    return RawTxn(
        row_no=n, txn_id=txn_id or f"T{n}", txn_date=when or T0 + timedelta(minutes=minutes if minutes is not None else n),
        amount=D(amount), fee=D(fee), balance=D(balance), description=description,
        direction="credit" if D(amount) >= 0 else "debit",
    )


def plain(t, prev):
    return t.amount - t.fee


def test_duplicates_keep_the_first():
    a = txn(1, "100", "100")
    b = txn(2, "100", "100", txn_id="T1", when=a.txn_date)
    c = txn(3, "100", "200")
    assert verify.mark_duplicates([a, b, c]) == [False, True, False]


def test_order_is_by_timestamp_then_balance_descending():
    rows = [txn(1, "5", "10", minutes=5), txn(2, "5", "20", minutes=5), txn(3, "5", "1", minutes=1)]
    assert verify.order_rows(rows) == [2, 1, 0]


def test_same_timestamp_rows_are_reordered_to_match_their_balances():
    # 100 -> +50 = 150 -> -30 = 120; sorted by balance descending gives 150, 120 already;
    # here the debit must come first: 100 -> -30 = 70 -> +50 = 120.
    first = txn(1, "0", "100", minutes=0)
    credit = txn(2, "50", "120", minutes=5)
    debit = txn(3, "-30", "70", minutes=5)
    rows = [first] + [[credit, debit][i] for i in (0, 1)]
    out = verify.reorder_same_timestamp(rows, plain)
    assert [t.row_no for t in out] == [1, 3, 2]


def test_a_group_at_the_very_start_is_ordered_by_the_row_after_it():
    # No balance before the first group: both orders are consistent inside it
    # (1000 -> 900 or 900 -> 1000), only the true one (debit first) leads on
    # to the next row: 1000 + 50 = 1050.
    credit = txn(1, "100", "1000", minutes=0)
    debit = txn(2, "-100", "900", minutes=0)
    after = txn(3, "50", "1050", minutes=7)
    out = verify.reorder_same_timestamp([credit, debit, after], plain)
    assert [t.row_no for t in out] == [2, 1, 3]
    parsed = ParsedStatement(provider="UMTN", format="csv", file_kind="csv", acc_number="7", transactions=[credit, debit, after])
    summary = verify.process(parsed).summary
    assert (summary.balance_match, summary.balance_diff_changes, summary.opening_balance_calculated) == ("Success", 0, D("1000"))


def test_groups_larger_than_six_keep_their_order():
    rows = [txn(i, "1", str(10 - i), minutes=0) for i in range(7)]
    assert verify.best_order(rows, D("0"), plain) == list(range(7))


def test_special_transactions():
    assert verify.special_type("Commission Disbursement for agent float") == SpecialType.COMMISSION
    assert verify.special_type("Float Deallocation") == SpecialType.DEALLOCATION
    assert verify.special_type("Rollback of txn 12") == SpecialType.ROLLBACK
    assert verify.special_type("Transaction Reversal of payment") == SpecialType.REVERSAL
    assert verify.special_type("Sent to 0700") == ""
    assert not verify.moves_balance(SpecialType.COMMISSION) and verify.moves_balance(SpecialType.REVERSAL)
    assert verify.is_skipped(SpecialType.DUPLICATE) and not verify.is_skipped(SpecialType.COMMISSION)


def test_implicit_charge_is_chosen_when_more_rows_match_with_it():
    rows = [txn(1, "0", "1000"), txn(2, "-200", "808", description="MERCHANT PAYMENT"), txn(3, "-100", "704", description="MERCHANT PAYMENT")]
    charges = [None, ("merchant_cashback", D("8")), ("merchant_cashback", D("4"))]
    assert verify.choose_implicit_charges(rows, charges, plain) == {"merchant_cashback": True}
    rows[1].balance, rows[2].balance = D("800"), D("700")
    assert verify.choose_implicit_charges(rows, charges, plain) == {"merchant_cashback": False}


def test_running_balance_works_the_opening_back_and_skipped_rows_carry_the_difference():
    effects = [D("50"), D("-20"), D("0"), D("10")]
    stated = [D("150"), D("130"), D("999"), D("145")]
    opening, calcs, diffs = verify.running_balance(effects, stated, [False, False, True, False])
    assert opening == D("100")
    assert calcs == [D("150"), D("130"), D("130"), D("140")]
    assert diffs == [D("0"), D("0"), D("0"), D("-5")]


def test_diff_changes_and_gaps():
    diffs = [D("0"), D("0"), D("5"), D("5"), D("5.005")]
    assert verify.diff_changes(diffs) == [False, False, True, False, False]
    dates = [T0, T0 + timedelta(hours=1), T0 + timedelta(days=3), T0 + timedelta(days=3, hours=1), T0 + timedelta(days=3, hours=2)]
    gaps = verify.gap_days(dates)
    assert gaps == [0, 0, 2, 0, 0]
    assert verify.gap_related_changes(gaps, verify.diff_changes(diffs)) == 1


def test_balance_match_within_a_cent():
    assert verify.balance_match(D("100.005"), D("100")) == "Success"
    assert verify.balance_match(D("100.02"), D("100")) == "Failed"
    assert verify.balance_match(None, D("1")) == "Failed"


def test_verification_status_and_reason():
    assert verify.verification_status("Success", 0, D("5"), D("5"))[0] == "PASS"
    assert verify.verification_status("Success", 2, D("5"), D("5"))[0] == "WARNING"
    status, reason = verify.verification_status("Failed", 0, D("1700200"), D("2700200"))
    assert status == "FAIL" and "1,700,200.00" in reason and "2,700,200.00" in reason


def test_statement_status():
    assert verify.statement_status("PASS", "NO_ISSUES") == "VERIFIED"
    assert verify.statement_status("WARNING", "NO_ISSUES") == "VERIFIED_WITH_WARNINGS"
    assert verify.statement_status("PASS", "FATAL") == "FLAGGED"
    assert verify.statement_status("FAIL", "NO_ISSUES") == "FLAGGED"
    assert verify.statement_status("PASS", "CRITICAL") == "VERIFIED_WITH_WARNINGS"


def test_process_end_to_end_on_plain_rows():
    rows = [
        txn(1, "100", "1100", minutes=1),
        txn(2, "-50", "1050", minutes=2, fee="0"),
        txn(3, "-50", "1050", minutes=2, txn_id="T2", when=T0 + timedelta(minutes=2)),  # duplicate of row 2
        txn(4, "300", "1050", minutes=3, description="Commission Disbursement"),
        txn(5, "-20", "1030", minutes=3000),
    ]
    rows[2].description = rows[1].description
    parsed = ParsedStatement(provider="UMTN", format="csv", file_kind="csv", acc_number="700000000", transactions=rows)
    result = verify.process(parsed)
    s = result.summary
    assert (s.duplicate_count, s.balance_match, s.verification_status, result.status) == (1, "Success", "WARNING", "VERIFIED_WITH_WARNINGS")
    assert s.opening_balance_calculated == D("1000") and s.closing_balance_calculated == D("1030")
    assert s.special_txn_count == 1 and s.max_gap_days == 2 and s.gap_related_balance_changes == 0
    dup = [p for p in result.transactions if p.is_duplicate]
    assert len(dup) == 1 and dup[0].skipped


def test_verification_of_many_rows_is_linear(benchmark_rows=20_000):
    # Not timed here (speed lives in bench/); just exercises a big statement.
    balance = D("0")
    rows = []
    for i in range(benchmark_rows):
        amount = D(100 if i % 3 else -40)
        balance += amount
        rows.append(txn(i + 1, amount, balance, minutes=i // 2))
    parsed = ParsedStatement(provider="UMTN", format="csv", file_kind="csv", acc_number=None, transactions=rows)
    result = verify.process(parsed)
    assert result.summary.balance_match == "Success" and result.summary.txn_count == benchmark_rows
