"""Counterparties (issue 18): each processed row keeps the other side's
number and name (a name written twice kept once), the detail page shows
the top counterparties in and out, and the round-tripping signal joins
the risk score."""
from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from fixtures.statements import generate as gen
from statements import services
from statements.engine import check_bytes, check_path
from statements.engine.counterparty import counterparty, dedupe_name
from statements.engine.forensics import codes
from statements.engine.types import RawTxn
from statements.models import ProcessedTransaction

SAMPLES = Path(gen.__file__).resolve().parent / "samples"
INFO = {**gen.MOMO_META, "CreationDate": gen.pdf_date(datetime(2025, 12, 1, 9))}


def txn(description: str, from_acc: str = "", to_acc: str = "") -> RawTxn:
    return RawTxn(row_no=1, txn_id="1", txn_date=datetime(2025, 1, 1), amount=Decimal(1), fee=Decimal(0), balance=Decimal(0),
                  description=description, from_acc=from_acc, to_acc=to_acc)


@pytest.mark.parametrize(("name", "once"), [("UEDCL UEDCL", "UEDCL"), ("UEDCLUEDCL", "UEDCL"), ("JOHN OKELLO JOHN OKELLO", "JOHN OKELLO"),
                                            ("JOHN OKELLOJOHN OKELLO", "JOHN OKELLO"), ("JOHN OKELLO", "JOHN OKELLO"), ("ABAB CD", "ABAB CD")])
def test_a_name_written_twice_is_kept_once(name, once):
    assert dedupe_name(name) == once


@pytest.mark.parametrize(("description", "from_acc", "to_acc", "expected"), [
    ("Paid to 4391279 UEDCL UEDCL", "", "", ("4391279", "UEDCL")),
    ("Paid to 4391279 UEDCLUEDCL", "", "", ("4391279", "UEDCL")),
    ("Received from 0700123456 JOHN OKELLO", "", "", ("0700123456", "JOHN OKELLO")),
    ("MERCHANT PAYMENT OTHER SINGLE STEP to JUMIA UG Ref 123", "", "", ("", "JUMIA UG")),
    ("Transfer to SARAH NAKATO", "256772123456", "256772000111", ("256772000111", "SARAH NAKATO")),  # the holder is never the counterparty
    ("Bundle Purchase 1GB Daily", "MTN BUNDLES", "772123456", ("", "MTN BUNDLES")),
    ("Cash In IND02 to 0700111222", "", "", ("0700111222", "")),
])
def test_counterparty_from_the_columns_and_the_description(description, from_acc, to_acc, expected):
    assert counterparty(txn(description, from_acc, to_acc), "772123456") == expected


def _round_trip_statement(share: bool) -> bytes:
    ms = gen.make_momo_ledger(random.Random(711), 40, start=datetime(2025, 9, 1, 7), opening=Decimal(2_000_000), acc="772000009",
                              bundles=False)
    if share:
        for t in ms.txns:
            if t.txn_type == "Transfer":  # every transfer, in and out, with one party
                t.party = "256701999888"
    return gen.write_momo_pdf(ms, info=INFO)


def test_round_tripping_joins_the_score_and_ordinary_statements_stay_clean():
    flagged = check_bytes(_round_trip_statement(True))
    reasons = [r for r in flagged.summary.risk_reasons if r.code == codes.ROUND_TRIPPING]
    assert reasons and "256701999888" in reasons[0].message and flagged.summary.risk_score >= codes.WEIGHTS[codes.ROUND_TRIPPING]
    assert reasons[0].row is not None and reasons[0].page is not None
    clean = check_bytes(_round_trip_statement(False))
    assert codes.ROUND_TRIPPING not in {r.code for r in clean.summary.risk_reasons} and clean.summary.risk_score == 0


@pytest.fixture
def analyst_browser(client, analyst):
    client.force_login(analyst)
    return client


@pytest.mark.django_db
def test_processed_rows_keep_counterparties_and_the_detail_page_shows_the_top_ones(analyst_browser):
    stored = services.statement_import_file(path=_round_trip_statement(True), file_name="rt.pdf").statement
    rows = ProcessedTransaction.objects.filter(statement=stored)
    assert rows.filter(counterparty_number="256701999888").count() >= 2
    assert rows.filter(counterparty_name="").count() < rows.count()
    html = analyst_browser.get(f"/statements/{stored.pk}/").content.decode()
    assert 'id="counterparties"' in html
    section = html.split('id="counterparties"')[1].split("</section>")[0]
    assert ">In<" in section and ">Out<" in section and "256701999888" in section


@pytest.mark.parametrize(("name", "seed", "glued"), [("airtel_f1_2025.pdf", 111, False), ("airtel_f1_2025_glued_names.pdf", 112, True)])
def test_airtel_2025_variant_reads_as_written_and_names_come_once(name, seed, glued):
    st = gen.make_airtel_2025_ledger(random.Random(seed), 50, start=datetime(2025, 12, 20, 7), opening=Decimal("65859.50"), acc="706015810",
                                     glued=glued)
    result = check_path(SAMPLES / name)
    read = [(t.txn_id, t.amount, t.fee, t.balance, t.status, t.description) for t in result.parsed.transactions]
    assert read == [(t.txn_id, t.signed, t.fee, t.balance, t.status, t.description) for t in st.txns]
    assert all(len(t.txn_id) == 12 for t in result.parsed.transactions)
    assert any(t.amount != t.amount.to_integral() for t in result.parsed.transactions)  # two decimals
    assert result.summary.opening_balance_stated == Decimal("65859.50") and result.status == "VERIFIED"
    paid = [counterparty(t) for t in result.parsed.transactions if t.description.startswith("Paid to")]
    assert paid and all(name_ and number and dedupe_name(name_) == name_ for number, name_ in paid)
    for t in (t for t in result.parsed.transactions if t.description.startswith("Paid to")):
        written_twice = t.description.split(" ", 3)[3]  # "UEDCL UEDCL", or "UEDCLUEDCL" when glued
        once = written_twice[: (len(written_twice) - (0 if glued else 1)) // 2]
        assert counterparty(t)[1] == once and counterparty(t)[0] == t.description.split(" ")[2]


@pytest.mark.django_db
def test_the_processed_download_carries_the_counterparty_columns(analyst_client):
    stored = services.statement_import_file(path=_round_trip_statement(True), file_name="rt.pdf").statement
    response = analyst_client.get("/api/v1/download/processed", {"statement": stored.pk})
    lines = b"".join(response.streaming_content).decode().splitlines()
    header = lines[0].split(",")
    assert header[-3:] == ["counterparty_number", "counterparty_name", "tax"]  # columns are only ever added at the end
    assert any(line.split(",")[-3] == "256701999888" for line in lines[1:])
