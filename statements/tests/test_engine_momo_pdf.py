"""MTN MoMo PDF statements (issue 18): read in ledger order whatever the
file's order, glued or spaced date-times, the direction of a Transfer from
the balance movement, the balance moving by amount, fees and taxes, the
precise errors Airtel PDFs get, and the forensic signals with MTN's
template. Pure: no database (the import through the storage service is
in ``test_momo_pdf_import``)."""
from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from fixtures.statements import generate as gen
from statements.engine import check_bytes, check_path, parse_bytes, parse_path
from statements.engine.errors import StatementError
from statements.engine.forensics import codes
from statements.engine.pdftext import group_lines, open_pdf, page_words
from statements.engine.providers.umtn_pdf import derive_directions, direction_from_text
from statements.engine.types import CREDIT, DEBIT, RawTxn
from statements.engine.vocabulary import StatementStatus
from statements.tests import tamper

SAMPLES = Path(gen.__file__).resolve().parent / "samples"
INFO = {**gen.MOMO_META, "CreationDate": gen.pdf_date(datetime(2025, 12, 1, 9))}


def written(ms: gen.MomoStatement) -> list[tuple]:
    return [(t.txn_id, t.when, t.txn_type, t.description, t.signed, t.fees, t.taxes, t.balance) for t in ms.txns]


def read(parsed) -> list[tuple]:
    return [(t.txn_id, t.txn_date, t.txn_type, t.description, t.amount, t.fee, t.tax, t.balance) for t in parsed.transactions]


@pytest.mark.parametrize("name", ["mtn_momo_newest_first.pdf", "mtn_momo_oldest_first_spaced.pdf"])
def test_every_row_is_read_as_written_in_ledger_order(name):
    ledger = gen.momo_ledger(name)
    parsed = parse_path(SAMPLES / name)
    assert (parsed.provider, parsed.format, parsed.acc_number) == ("UMTN", "momo_pdf", ledger.acc)
    assert read(parsed) == written(ledger)  # oldest first, signed amounts: every Transfer's direction is right
    assert {t.txn_type for t in parsed.transactions} == {"Cash In", "Cash Out", "Transfer", "Payment"}
    transfers = {t.direction for t in parsed.transactions if t.txn_type == "Transfer"}
    assert transfers == {CREDIT, DEBIT}
    assert any(t.tax > 0 for t in parsed.transactions) and all(Decimal(t.extra["taxes"]) == t.tax for t in parsed.transactions)
    assert {t.page for t in parsed.transactions} == set(range(1, parsed.page_count + 1))
    assert parsed.header["Account Holder"] == ledger.name


def test_newest_first_and_oldest_first_files_give_the_same_statement():
    a = check_path(SAMPLES / "mtn_momo_newest_first.pdf")
    b = check_path(SAMPLES / "mtn_momo_oldest_first_spaced.pdf")
    rows = [[(p.raw.txn_id, p.amount, p.direction, p.calculated_balance, p.balance_diff) for p in r.transactions] for r in (a, b)]
    assert rows[0] == rows[1]
    assert a.summary.balance_match == "Success" and a.status == StatementStatus.VERIFIED
    # Fees and taxes apart; the balance matched moving by both.
    ledger = gen.momo_ledger("mtn_momo_newest_first.pdf").txns
    assert a.summary.fees == sum((t.fees for t in ledger), Decimal(0)) and a.summary.taxes == sum((t.taxes for t in ledger), Decimal(0))
    assert a.summary.taxes > 0


def test_same_second_rows_keep_their_order_when_the_file_is_reversed():
    rng = random.Random(7)
    ms = gen.make_momo_ledger(rng, 30, start=datetime(2025, 9, 1, 7), opening=Decimal(300_000), acc="772000001")
    ms.txns[11].when = ms.txns[12].when = ms.txns[13].when  # three rows in one second
    # Balances stay consistent (only the times changed); rows later in the ledger may now be earlier in time, so keep it sorted.
    ms.txns[:11] = [t for t in ms.txns[:11] if t.when <= ms.txns[13].when]
    result = check_bytes(gen.write_momo_pdf(ms, info=INFO))
    assert [p.raw.txn_id for p in result.transactions] == [t.txn_id for t in ms.txns]
    assert result.summary.balance_diff_changes == 0


def test_a_typed_row_moving_the_wrong_way_is_noted_and_fails_the_balance():
    ms = gen.make_momo_ledger(random.Random(705), 30, start=datetime(2025, 9, 1, 7), opening=Decimal(300_000), acc="772000002")
    i = next(i for i, t in enumerate(ms.txns) if i and t.txn_type == "Transfer" and t.direction == "Credit")
    ms.txns[i].override = {"Transaction Type": "Cash Out"}  # a credit relabelled as a withdrawal
    result = check_bytes(gen.write_momo_pdf(ms, info=INFO))
    assert any("Cash Out should be a debit" in w for w in result.parsed.warnings)
    assert result.summary.balance_match == "Failed" and result.status == StatementStatus.FLAGGED


def test_transfer_direction_rules():
    def txn(amount, fee, balance, kind="Transfer", description=""):
        return RawTxn(row_no=1, txn_id="1", txn_date=datetime(2025, 1, 1), amount=Decimal(amount), fee=Decimal(fee),
                      balance=Decimal(balance), txn_type=kind, description=description)

    rows = [txn(1000, 0, 5000, description="Transfer from JOHN"), txn(1000, 100, 3900), txn(500, 0, 4400), txn(300, 0, 9999)]
    warnings: list[str] = []
    derive_directions(rows, None, warnings)
    assert [r.direction for r in rows] == [CREDIT, DEBIT, CREDIT, CREDIT]  # words, movement, movement, nearer
    assert [r.amount for r in rows] == [1000, -1000, 500, 300]
    rows = [txn(1000, 0, 5000)]
    derive_directions(rows, Decimal(6000), [])  # the stated opening balance decides the first row
    assert rows[0].direction == DEBIT
    assert direction_from_text("Transfer to SARAH", "") == DEBIT and direction_from_text("Transfer", "") == ""


def test_malformed_momo_pdf_names_page_row_and_field():
    with pytest.raises(StatementError) as caught:
        check_path(SAMPLES / "bad_mtn_momo_cell_no_number.pdf")
    assert caught.value.code == "bad_cell"
    assert "page 4, row 6" in str(caught.value) and "'Balance'" in str(caught.value) and "UGX N/A" in str(caught.value)


@pytest.mark.parametrize(("column", "text", "what"), [("Date", "31-13-2025 10:00:00", "date"), ("Amount", "UGX abc", "number")])
def test_a_bad_date_or_amount_is_refused_with_its_place(column, text, what):
    ms = gen.make_momo_ledger(random.Random(706), 20, start=datetime(2025, 9, 1, 7), opening=Decimal(300_000), acc="772000003")
    ms.txns[-3].override = {column: text}  # newest first: file row 3 of page 1
    with pytest.raises(StatementError) as caught:
        parse_bytes(gen.write_momo_pdf(ms, info=INFO))
    assert caught.value.code == "bad_cell" and "page 1, row 3" in str(caught.value) and column in str(caught.value)


def test_provider_hint_and_detection():
    assert parse_path(SAMPLES / "mtn_momo_newest_first.pdf", provider="UMTN").format == "momo_pdf"
    with pytest.raises(StatementError) as caught:
        parse_path(SAMPLES / "mtn_momo_newest_first.pdf", provider="UATL")
    assert caught.value.code == "unknown_format" and "says provider UATL" in str(caught.value) and "UMTN" in str(caught.value)
    # Airtel's PDFs are not taken for MTN's (its Fees and Taxes columns tell them apart).
    assert parse_path(SAMPLES / "airtel_f2_genuine.pdf").format == "pdf_format_2"
    assert parse_path(Path(gen.__file__).parent / "genuine" / "f2_no_marker.pdf").format == "pdf_format_2"


def test_genuine_momo_pdf_scores_zero_and_a_covered_balance_is_caught():
    data = (Path(gen.__file__).parent / "genuine" / "momo_newest_first.pdf").read_bytes()
    clean = check_bytes(data)
    assert clean.summary.risk_score == 0 and clean.status == StatementStatus.VERIFIED
    doc = open_pdf(data)
    line = next(ln for ln in group_lines(page_words(doc, 0)) if ln.words[0].text[:2].isdigit() and "UGX" in ln.text)
    number = [w for w in line.words if w.x0 > 712][1]  # the Balance column starts at 712 pt: "UGX", then the number
    tampered = check_bytes(tamper.cover_up(data, 0, number.x0, line.y, 50, "9,999,999"))
    found = {r.code for r in tampered.summary.risk_reasons}
    assert codes.COVERED_TEXT in found
    covered = next(r for r in tampered.summary.risk_reasons if r.code == codes.COVERED_TEXT)
    assert covered.page == 1 and covered.row == 1
    assert tampered.summary.risk_score >= codes.FLAG_THRESHOLD


def test_a_momo_pdf_with_an_airtel_producer_is_named():
    data = (Path(gen.__file__).parent / "genuine" / "momo_newest_first.pdf").read_bytes()
    result = check_bytes(tamper.set_metadata(data, Producer="Microsoft Word 2016"))
    assert codes.PRODUCER_EDITOR in {r.code for r in result.summary.risk_reasons}
