"""The engine against the generated sample statements and the results the
generator wrote beside them (fixtures/statements/samples/expected.json).
Pure: no database."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from fixtures.statements.generate import genuine_ledger
from statements.engine import check_path, parse_path
from statements.engine.errors import StatementError

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())
GOOD = sorted(name for name, exp in EXPECTED.items() if "error" not in exp)
BAD = sorted(name for name, exp in EXPECTED.items() if "error" in exp)


def check_sample(name: str, **kwargs):
    exp = EXPECTED[name]
    return check_path(SAMPLES / name, acc_number=exp.get("acc_number_hint"), **kwargs)


@pytest.mark.parametrize("name", GOOD)
def test_sample_gets_its_expected_result(name):
    exp = EXPECTED[name]
    result = check_sample(name)
    parsed, s = result.parsed, result.summary
    got = {
        "provider": parsed.provider,
        "format": parsed.format,
        "file_kind": parsed.file_kind,
        "acc_number": parsed.acc_number,
        "txn_count": s.txn_count,
        "balance_match": s.balance_match,
        "verification_status": s.verification_status,
        "status": result.status,
        "tampering_level": s.tampering_level,
        "duplicate_count": s.duplicate_count,
        "quality_issues_count": s.quality_issues_count,
        "header_row_manipulation_count": s.header_row_manipulation_count,
    }
    want = {k: exp[k] for k in got if k in exp}
    if "acc_number_hint" in exp:
        want["acc_number"] = exp["acc_number_hint"]
    assert {k: got[k] for k in want} == want
    opening = s.opening_balance_stated if s.opening_balance_stated is not None else s.opening_balance_calculated
    assert opening == Decimal(exp["opening_balance"])
    assert s.closing_balance_stated == Decimal(exp["closing_balance"])
    if "closing_balance_calculated" in exp:
        assert s.closing_balance_calculated == Decimal(exp["closing_balance_calculated"])
    for key in ("implicit_ind02_commission", "implicit_merchant_cashback"):
        if key in exp:
            assert getattr(s, key) is exp[key]
    if "first_txn_id" in exp:
        assert result.transactions[0].raw.txn_id == exp["first_txn_id"]
    if "last_txn_id" in exp:
        assert result.transactions[-1].raw.txn_id == exp["last_txn_id"]
    for key, value in exp.get("metadata", {}).items():
        assert parsed.metadata.as_dict()[key] == value
    for key, value in exp.get("header", {}).items():
        assert parsed.header[key] == value
    if "completed_count" in exp:
        assert sum(1 for p in result.transactions if p.raw.status == "COMPLETED") == exp["completed_count"]
    assert s.verification_reason and s.tampering_reason


@pytest.mark.parametrize("name", BAD)
def test_bad_input_gets_its_specific_error(name):
    exp = EXPECTED[name]
    with pytest.raises(StatementError) as caught:
        check_sample(name)
    assert caught.value.code == exp["error"]
    for text in exp.get("message_contains", []):
        assert text in str(caught.value)


def test_encrypted_pdf_reads_with_its_password_and_refuses_a_wrong_one():
    exp = EXPECTED["bad_encrypted.pdf"]
    result = check_sample("bad_encrypted.pdf", password=exp["password"])
    assert result.parsed.provider == exp["provider"] and result.summary.txn_count == exp["txn_count"]
    with pytest.raises(StatementError) as caught:
        check_sample("bad_encrypted.pdf", password="not-it")
    assert caught.value.code == "wrong_password"


@pytest.mark.parametrize("name", ["airtel_f1_genuine.pdf", "airtel_f2_genuine.pdf"])
def test_every_pdf_row_is_read_exactly_as_written(name):
    """Wrapped descriptions, two-line dates, both pages: each cell as the generator wrote it."""
    ledger = genuine_ledger(name)
    parsed = parse_path(SAMPLES / name)
    written = [(t.txn_id, t.when, t.description, t.amount if t.direction == "Credit" else -t.amount, t.fee, t.balance, t.status) for t in ledger.txns]
    read = [(t.txn_id, t.txn_date, t.description, t.amount, t.fee, t.balance, t.status) for t in parsed.transactions]
    assert read == written
    assert any(len(t.description) > 60 for t in parsed.transactions)  # some were wrapped over lines
    assert {t.page for t in parsed.transactions} == set(range(1, parsed.page_count + 1))


def test_dirty_cells_keep_their_raw_text():
    result = check_sample("airtel_f2_dirty_cells.pdf")
    dirty = [p.raw for p in result.transactions if p.raw.has_quality_issue]
    raws = sorted(t.raw["Balance"] if "Balance" in "".join(t.quality_notes) else t.raw["Amount"] for t in dirty)
    assert any(r.endswith("-") for r in raws) and any(r.endswith("II") for r in raws) and any(r.startswith("-+") for r in raws)


def test_provider_hint_wins_and_a_contradicting_hint_is_an_error():
    assert check_sample("mtn_export.csv").parsed.provider == "UMTN"
    with pytest.raises(StatementError) as caught:
        check_path(SAMPLES / "airtel_f1_genuine.pdf", provider="UMTN")
    assert caught.value.code == "unknown_format" and "UMTN" in str(caught.value)


def test_mtn_account_number_comes_from_the_request_or_the_rows():
    assert check_path(SAMPLES / "mtn_export.xlsx", acc_number="772999999").parsed.acc_number == "772999999"
    assert check_path(SAMPLES / "mtn_export.xlsx").parsed.acc_number == "772123456"


def test_the_same_statement_reads_the_same_from_every_mtn_container():
    results = [check_sample(name) for name in ("mtn_export.csv", "mtn_export.xls", "mtn_export.xlsx", "mtn_export_really_xlsx.csv")]
    rows = [[(p.raw.txn_id, p.raw.txn_date.replace(second=0), p.amount, p.raw.balance) for p in r.transactions] for r in results]
    assert all(r == rows[0] for r in rows)
