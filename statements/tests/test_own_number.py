"""Round-tripping through the holder's own other number (issue 18): the
back office's numbers for the holder (the Customer's phones, the statement
request's alternate account), normalised, against the counterparties of a
statement built by hand; the reason joins the score on enrichment."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from customers.models import Customer
from statements.choices import StatementStatus
from statements.engine.evidence import Reason
from statements.engine.forensics import codes
from statements.engine.forensics.roundtrip import Flow, own_number_transfers
from statements.engine.forensics.score import risk_score
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementSummary
from statements.risk import holder_other_numbers, statement_request_check, statements_request_check_many
from statements.tests.ops_factories import make_details

ACCOUNT = "772000555"  # the statement's own account
START = datetime(2025, 9, 1, 8, tzinfo=UTC)


def build(rows: list[tuple[str, str]], *, customer: Customer | None = None, details=None) -> Statement:
    """A stored statement of ``rows`` (signed amount, counterparty number),
    its summary's credits and debits the rows' sums, as the engine writes them."""
    statement = Statement.objects.create(acc_prvdr_code="UMTN", acc_number=ACCOUNT, file_name="hand.pdf", status=StatementStatus.VERIFIED,
                                         customer=customer, customer_details=details, num_rows=len(rows))
    common = {"statement": statement, "acc_prvdr_code": "UMTN", "acc_number": ACCOUNT, "run_id": ""}
    balance = Decimal(1_000_000)
    credits = debits = Decimal(0)
    for i, (amount_text, number) in enumerate(rows, start=1):
        amount = Decimal(amount_text)
        balance += amount
        credits += max(amount, Decimal(0))
        debits += max(-amount, Decimal(0))
        raw = RawTransaction.objects.create(**common, row_number=i, page_number=1 + i // 20, txn_id=f"T{i}", txn_date=START + timedelta(hours=i),
                                            amount=amount, fee=Decimal(0), balance=balance)
        ProcessedTransaction.objects.create(**common, raw=raw, sequence=i, txn_id=raw.txn_id, txn_date=raw.txn_date, amount=amount,
                                            fee=Decimal(0), balance=balance, calculated_running_balance=balance, balance_diff=Decimal(0),
                                            counterparty_number=number)
    StatementSummary.objects.create(statement=statement, acc_prvdr_code="UMTN", acc_number=ACCOUNT, num_rows=len(rows), credits=credits,
                                    debits=debits, verification_status="PASS", tampering_level="NO_ISSUES", risk_score=0, risk_reasons=[])
    return statement


def ordinary(n: int = 8) -> list[tuple[str, str]]:
    """Money in from customers and out to suppliers, none of them the holder."""
    return [("100000", f"25670100{i:04d}") for i in range(n)] + [("-60000", f"25670200{i:04d}") for i in range(n)]


def reasons_of(statement: Statement) -> list[dict]:
    return [r for r in StatementSummary.objects.get(statement=statement).risk_reasons if r["code"] == codes.OWN_NUMBER]


# ----------------------------------------------------------------------------- the pure signal


def test_a_share_out_to_the_holders_number_is_a_reason_and_a_small_one_is_not():
    big = Flow("0772111222", Decimal(0), Decimal(300_000), 2, 7)
    small = Flow("0772111333", Decimal(0), Decimal(50_000), 1, 1)
    found = own_number_transfers([(big, "the customer's secondary phone"), (small, "the customer's primary phone")],
                                 credits=Decimal(1_000_000), debits=Decimal(1_000_000))
    (reason,) = found
    assert reason.code == codes.OWN_NUMBER and reason.weight == codes.WEIGHTS[codes.OWN_NUMBER]
    assert (reason.page, reason.row) == (2, 7)
    assert "…222" in reason.message and "0772111222" not in reason.message  # masked
    assert "secondary phone" in reason.message and "30% of the money out" in reason.message


def test_a_share_in_from_the_holders_number_counts_too_and_a_tiny_statement_does_not():
    inflow = Flow("701234567", Decimal(40_000), Decimal(0))
    assert "40% of the money in" in own_number_transfers([(inflow, "x")], credits=Decimal(100_000), debits=Decimal(50_000))[0].message
    assert own_number_transfers([(inflow, "x")], credits=Decimal(40_000), debits=Decimal(10_000)) == []  # turnover < UGX 100,000


def test_round_tripping_and_the_own_number_are_one_cause_in_the_score():
    both = [Reason(codes.ROUND_TRIPPING, "a", codes.WEIGHTS[codes.ROUND_TRIPPING]), Reason(codes.OWN_NUMBER, "b", codes.WEIGHTS[codes.OWN_NUMBER])]
    assert risk_score(both) == max(codes.WEIGHTS[codes.ROUND_TRIPPING], codes.WEIGHTS[codes.OWN_NUMBER])
    assert codes.OWN_NUMBER not in codes.FILE_SIGNALS  # about the holder, never the file's tampering level


# ----------------------------------------------------------------------------- with the back office's numbers


@pytest.mark.django_db
def test_outflow_to_the_customers_secondary_phone_written_another_way_joins_the_score():
    customer = Customer.objects.create(full_name="Akello Grace", primary_phone="+256772000555", secondary_phone="+256772111222")
    # 0772 111 222 as the statement writes it; its primary phone is the statement's own account (never "other").
    statement = build([*ordinary(), ("-400000", "0772111222"), ("-50000", "256772000555")], customer=customer)
    assert holder_other_numbers(statement) == {"+256772111222": "the customer's secondary phone"}
    assert statement_request_check(statement=statement) is True
    (reason,) = reasons_of(statement)
    assert "…222" in reason["message"] and "secondary phone" in reason["message"] and "of the money out" in reason["message"]
    assert (reason["page"], reason["row"]) == (1, 17)  # the first row to that number
    summary = StatementSummary.objects.get(statement=statement)
    assert summary.risk_score == codes.WEIGHTS[codes.OWN_NUMBER] and summary.tampering_level == "NO_ISSUES"
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.VERIFIED_WITH_WARNINGS
    assert statement_request_check(statement=statement) is False  # nothing new the second time


@pytest.mark.django_db
def test_inflow_from_the_requests_alternate_account_is_a_reason():
    details = make_details(acc_number=ACCOUNT, alt_acc_num="256701234567")
    statement = build([*ordinary(), ("700000", "701234567")], details=details)
    assert statement_request_check(statement=statement) is True
    (reason,) = reasons_of(statement)
    assert "alternate account" in reason["message"] and "of the money in" in reason["message"]


@pytest.mark.django_db
def test_small_shares_unknown_numbers_and_merchant_codes_stay_clean():
    customer = Customer.objects.create(full_name="Okello John", primary_phone="+256772999000", secondary_phone="")
    statement = build([*ordinary(), ("-30000", "0772999000"), ("-500000", "4391279")], customer=customer)  # 5%; a merchant code
    assert statement_request_check(statement=statement) is False
    assert reasons_of(statement) == [] and StatementSummary.objects.get(statement=statement).risk_score == 0
    nobody = build([*ordinary(), ("-500000", "0772999111")])  # no customer, no request: no other numbers to know
    assert holder_other_numbers(nobody) == {} and statement_request_check(statement=nobody) is False


@pytest.mark.django_db
def test_the_reason_goes_when_the_number_is_no_longer_the_holders_and_the_many_path_finds_it():
    customer = Customer.objects.create(full_name="Akello Grace", primary_phone="+256772000555", secondary_phone="+256772111222")
    statement = build([*ordinary(), ("-400000", "0772111222")], customer=customer)
    assert statements_request_check_many(pairs=[(statement, None)]) == 1 and reasons_of(statement)
    Customer.objects.filter(pk=customer.pk).update(secondary_phone="")
    assert statements_request_check_many(pairs=[(statement, None)]) == 1
    assert reasons_of(statement) == [] and StatementSummary.objects.get(statement=statement).risk_score == 0
    assert Statement.objects.get(pk=statement.pk).status == StatementStatus.VERIFIED


@pytest.mark.django_db
def test_the_detail_page_shows_the_reason(analyst):
    customer = Customer.objects.create(full_name="Akello Grace", primary_phone="+256772000555", secondary_phone="+256772111222")
    statement = build([*ordinary(), ("-400000", "0772111222")], customer=customer)
    statement_request_check(statement=statement)
    client = Client()
    client.force_login(analyst)
    html = client.get(f"/statements/{statement.pk}/").content.decode()
    assert "the account holder&#x27;s own other number (the customer&#x27;s secondary phone)" in html
