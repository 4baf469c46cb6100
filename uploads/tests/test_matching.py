"""The loan-book matching rules, without a database: plain records in, decisions out."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from debts.choices import DebtStatus
from uploads import choices, matching
from uploads.choices import MatchMethod, RowStatus
from uploads.matching import (
    CustomerRecord,
    DebtRecord,
    Line,
    LoanBookIndex,
    customer_fingerprint,
    loan_key,
    match_lines,
    update_debt,
)
from uploads.parsing import ParsedRow

UPLOADED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
PHONE = "+256772123456"


def _line(n=1, *, name="Sarah Nakato", phone=PHONE, loan_id="LN-1", amount="1000", nid_hash=None, national_id="", **values):
    row = ParsedRow(line_number=n, name=name, phone=phone, loan_id=loan_id, amount=Decimal(amount), national_id=national_id, **values)
    return Line(row, fingerprint=f"line-{n}-{name}-{loan_id}-{amount}", nid_hash=nid_hash)


def _customer(pk, name="Sarah Nakato", phone=PHONE, *, nid_hash=None, national_id=None, email=None, fingerprint=None):
    if fingerprint is None:
        fingerprint = customer_fingerprint(phone, name, national_id) if national_id else customer_fingerprint(phone, name)
    return (pk, fingerprint, name, phone, "", nid_hash, email, "", UPLOADED)


def _index(*customers, debts=()):
    index = LoanBookIndex()
    index.remember_customers(customers)
    for pk, customer_id, loan_id, values in debts:
        index.remember_debt(pk, customer_id, loan_id, {"current_balance": Decimal("500"), "status": DebtStatus.ACTIVE, **values})
    return index


def _match(index, *lines):
    return match_lines(index, lines, uploaded_at=UPLOADED, currency="UGX", default_after_days=90)


# --- customers


def test_phone_and_national_id_match_even_under_another_name():
    index = _index(_customer(7, "S. Nakato", nid_hash="nid-A", national_id="CM1"))
    [outcome] = _match(index, _line(name="Sarah Nakato", nid_hash="nid-A", national_id="CM1"))
    assert outcome.customer.pk == 7 and outcome.method == MatchMethod.PHONE_NATIONAL_ID


def test_phone_and_name_fingerprint_match():
    index = _index(_customer(7))
    [outcome] = _match(index, _line(name="  sarah   NAKATO "))
    assert outcome.customer.pk == 7 and outcome.method == MatchMethod.FINGERPRINT


def test_fingerprint_with_another_national_id_is_a_different_person():
    index = _index(_customer(7, nid_hash="nid-A"))
    [outcome] = _match(index, _line(nid_hash="nid-B", national_id="CM2"))
    assert outcome.method == MatchMethod.NEW and outcome.customer.pk is None
    assert index.new_customers == [outcome.customer]


def test_phone_alone_with_another_name_waits_for_review_with_the_candidate():
    index = _index(_customer(7, "James Okello"))
    candidate = index.customers[7]
    [outcome] = _match(index, _line(name="Sarah Nakato"))
    assert (outcome.status, outcome.review_kind, outcome.candidate, outcome.customer) == (RowStatus.NEEDS_REVIEW, "identity", candidate, None)
    assert outcome.error == f'line 1: the phone {PHONE} belongs to customer #7 "James Okello" ({PHONE}), but the line names "Sarah Nakato"; the names disagree'
    assert not index.new_customers and not index.new_debts and not candidate.changed


def test_the_same_name_in_another_case_spacing_and_order_is_the_same_person():
    index = _index(_customer(7, "James Okello", fingerprint=""))
    [outcome] = _match(index, _line(name="  OKELLO   james "))
    assert (outcome.status, outcome.method, outcome.customer.pk) == (RowStatus.CREATED, MatchMethod.FINGERPRINT, 7)


def test_phone_shared_by_several_people_and_no_name_match_is_a_new_customer():
    index = _index(_customer(7, "James Okello"), _customer(8, "Grace Atim"))
    [outcome] = _match(index, _line(name="Sarah Nakato"))
    assert outcome.method == MatchMethod.NEW and outcome.status == RowStatus.CREATED


def test_the_oldest_customer_wins_when_several_fit():
    index = _index(_customer(9, "Sarah Nakato", fingerprint=""), _customer(8, "Sarah Nakato", fingerprint=""))
    [outcome] = _match(index, _line())
    assert outcome.customer.pk == 8 and outcome.method == MatchMethod.FINGERPRINT


def test_a_new_customer_is_matched_by_the_next_line_of_the_same_chunk():
    first, second = _match(LoanBookIndex(), _line(1, loan_id="LN-1"), _line(2, loan_id="LN-2"))
    assert first.method == MatchMethod.NEW and second.method == MatchMethod.FINGERPRINT
    assert second.customer is first.customer


# --- loans


def test_loan_id_matches_case_insensitively_and_updates_the_loan():
    index = _index(_customer(7), debts=[(70, 7, "LN-1", {})])
    [outcome] = _match(index, _line(loan_id="ln-1", amount="300"))
    assert outcome.status == RowStatus.UPDATED and outcome.debt.pk == 70
    assert outcome.debt.current_balance == Decimal("300") and index.changed_debts == {70: outcome.debt}
    assert loan_key("LN-1") == loan_key("ln-1")


def test_same_values_again_is_matched_not_updated():
    index = _index(_customer(7), debts=[(70, 7, "LN-1", {"current_balance": Decimal("1000")})])
    [outcome] = _match(index, _line(amount="1000"))
    assert outcome.status == RowStatus.MATCHED and not index.changed_debts


def test_a_known_loan_under_an_unknown_phone_waits_for_review():
    index = _index(_customer(7, "James Okello", phone="+256772000001"), debts=[(70, 7, "LN-1", {"current_balance": Decimal("5")})])
    owner = index.customers[7]
    [outcome] = _match(index, _line(name="Someone Else", phone="+256772999999"))
    assert (outcome.status, outcome.review_kind, outcome.candidate, outcome.candidate_debt.pk) == (RowStatus.NEEDS_REVIEW, "loan_owner", owner, 70)
    assert outcome.error == (
        'line 1, column "loan_id" = "LN-1": the loan belongs to customer #7 "James Okello" (+256772000001), '
        "reached here under another phone (+256772999999)"
    )
    assert index.debts["ln-1"].current_balance == Decimal("5") and not index.changed_debts


def test_a_known_loan_of_another_person_waits_for_review():
    index = _index(_customer(7, "James Okello", phone="+256772000001"), _customer(8), debts=[(70, 7, "LN-1", {})])
    [outcome] = _match(index, _line())
    assert outcome.status == RowStatus.NEEDS_REVIEW and outcome.customer is None and outcome.candidate.pk == 7
    assert outcome.error == (
        'line 1, column "loan_id" = "LN-1": the loan belongs to customer #7 "James Okello" (+256772000001), '
        f'but the line\'s name and phone match customer #8 "Sarah Nakato" ({PHONE})'
    )


def test_a_known_loan_whose_borrower_has_another_national_id_waits_for_review():
    index = _index(_customer(7, "James Okello", phone="+256772000001", nid_hash="nid-A"), debts=[(70, 7, "LN-1", {})])
    [outcome] = _match(index, _line(phone="+256772999999", nid_hash="nid-B", national_id="CM2"))
    assert outcome.status == RowStatus.NEEDS_REVIEW
    assert outcome.error == (
        'line 1, column "loan_id" = "LN-1": the loan belongs to customer #7 "James Okello" (+256772000001), '
        "who has a different national ID"
    )


def test_a_balance_change_without_the_right_waits_for_review_and_moves_nothing():
    index = _index(_customer(7), debts=[(70, 7, "LN-1", {"current_balance": Decimal("1200000.00"), "original_amount": Decimal("1200000.00"), "status": "ACTIVE"})])
    [outcome] = matching.match_lines(
        index, [_line(amount="0.00")], uploaded_at=UPLOADED, currency="UGX", default_after_days=90, may_sync_balances=False,
    )
    assert (outcome.status, outcome.review_kind, outcome.candidate.pk, outcome.candidate_debt.pk) == (RowStatus.NEEDS_REVIEW, "balance", 7, 70)
    assert "would change loan #70's current_balance 1200000.00 → 0.00, status ACTIVE → PAID_OFF" in outcome.error
    debt = index.debts["ln-1"]
    assert (debt.current_balance, debt.status) == (Decimal("1200000.00"), "ACTIVE") and not index.changed_debts


def test_a_balance_change_with_the_right_goes_through_the_debt_status_rule():
    index = _index(_customer(7), debts=[(70, 7, "LN-1", {"current_balance": Decimal("10"), "status": "PAID_OFF", "days_past_due": 120})])
    [outcome] = matching.match_lines(index, [_line(amount="50")], uploaded_at=UPLOADED, currency="UGX", default_after_days=90)
    # Reopened long overdue: defaulted, as debts.rules says for a refund.
    assert outcome.status == RowStatus.UPDATED and index.changed_debts[70].status == DebtStatus.DEFAULTED


def test_a_loan_id_on_lines_with_different_content_fails_them_all_naming_the_others():
    first, second = matching.match_lines(
        LoanBookIndex(), [_line(3), _line(9, amount="9999999")], uploaded_at=UPLOADED, currency="UGX", default_after_days=90,
        conflicts={"ln-1": [3, 9]},
    )
    assert [first.status, second.status] == [RowStatus.FAILED, RowStatus.FAILED]
    assert first.error == ('line 3, column "loan_id" = "LN-1": the same loan_id is on line(s) 9 with different values; '
                           "none of these lines is applied (keep one line per loan)")
    assert "is on line(s) 3 with different values" in second.error


# --- lines


def test_a_bad_line_fails_alone_with_its_reason():
    bad = _line(1)
    bad.row.errors.append('line 1, column "amount": "abc" is not an amount')
    outcomes = _match(LoanBookIndex(), bad, _line(2, loan_id="LN-2"))
    assert [o.status for o in outcomes] == [RowStatus.FAILED, RowStatus.CREATED]
    assert "is not an amount" in outcomes[0].error


def test_an_identical_line_is_skipped_pointing_at_what_the_first_matched():
    first, again = _match(LoanBookIndex(), _line(1), _line(1))
    assert again.status == RowStatus.SKIPPED and again.method == MatchMethod.DUPLICATE_ROW
    assert (again.customer, again.debt) == (first.customer, first.debt)


def test_a_line_imported_before_is_skipped_with_the_ids_it_matched():
    index = LoanBookIndex()
    line = _line()
    index.done_before[line.fingerprint] = (7, 70)
    [outcome] = _match(index, line)
    assert (outcome.status, outcome.method, outcome.customer, outcome.debt) == (RowStatus.SKIPPED, MatchMethod.DUPLICATE_ROW, 7, 70)


# --- the debt status rule


def test_a_new_loan_with_nothing_owed_is_paid_off():
    [outcome] = _match(LoanBookIndex(), _line(amount="0"))
    assert outcome.debt.status == DebtStatus.PAID_OFF and outcome.debt.currency == "UGX"


def test_a_zero_balance_pays_off_and_money_owed_again_reopens():
    customer = CustomerRecord(*_customer(7))
    debt = DebtRecord(70, customer, "LN-1", current_balance=Decimal("10"), status=DebtStatus.IN_COLLECTION)
    assert update_debt(debt, _line(amount="0").row, default_after_days=90) and debt.status == DebtStatus.PAID_OFF
    assert update_debt(debt, _line(amount="5").row, default_after_days=90) and debt.status == DebtStatus.ACTIVE


def test_settled_and_written_off_loans_keep_their_status():
    customer = CustomerRecord(*_customer(7))
    for status in (DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF):
        debt = DebtRecord(70, customer, "LN-1", current_balance=Decimal("0"), status=status)
        assert not update_debt(debt, _line(amount="0").row, default_after_days=90)
        assert debt.status == status


def test_a_blank_cell_keeps_what_we_have():
    customer = CustomerRecord(*_customer(7))
    debt = DebtRecord(70, customer, "LN-1", current_balance=Decimal("10"), branch="Ntinda", status=DebtStatus.ACTIVE)
    update_debt(debt, _line(amount="10", branch="").row, default_after_days=90)
    assert debt.branch == "Ntinda"


# --- what a line fills in on a matched customer


def test_a_matched_customer_gains_what_the_loan_book_knows_but_keeps_name_and_phone():
    index = _index(_customer(7))
    [outcome] = _match(index, _line(name="SARAH NAKATO", state="Central", email="sarah@example.com"))
    customer = outcome.customer
    assert (customer.full_name, customer.state, customer.email) == ("Sarah Nakato", "Central", "sarah@example.com")
    assert customer.changed == {"state", "email"}


def test_an_email_owned_by_another_customer_is_not_taken():
    index = _index(_customer(7), _customer(8, "James Okello", phone="+256772000001", email="taken@example.com"))
    index.email_owner = {"taken@example.com": index.customers[8]}
    [outcome] = _match(index, _line(email="taken@example.com"))
    assert outcome.customer.pk == 7 and outcome.customer.email is None and "email" not in outcome.customer.changed


# --- one vocabulary


def test_the_rules_spell_match_methods_and_row_statuses_as_the_model_choices():
    assert {m.name: m.value for m in matching.MatchMethod} == {m.name: m.value for m in choices.MatchMethod}
    assert {s.name: s.value for s in matching.RowStatus} == {s.name: s.value for s in choices.RowStatus}
