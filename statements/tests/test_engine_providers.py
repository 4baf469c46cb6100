"""Provider rules (Airtel, MTN) and the registry; pure, no database."""
import ast
import importlib.util
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from statements.engine import parse_bytes, sniff
from statements.engine.errors import StatementError, UnknownFormat, UnsupportedFile
from statements.engine.parsers import default_registry
from statements.engine.providers import uatl, umtn
from statements.engine.registry import ParserRegistry
from statements.engine.source import Source
from statements.engine.types import ParsedStatement, PdfMetadata, RawTxn, Summary
from statements.engine.vocabulary import FileKind

D = Decimal


def rules_for(provider):
    return default_registry().rules_for(provider)


def raw(amount="-1000", fee="0", balance="0", description="", status="", direction="", txn_type=""):
    return RawTxn(row_no=1, txn_id="1", txn_date=datetime(2025, 1, 1), amount=D(amount), fee=D(fee), balance=D(balance),
                  description=description, status=status, direction=direction, txn_type=txn_type)


def parsed(fmt="pdf_format_1", header_rows=0, **meta):
    return ParsedStatement(provider="UATL", format=fmt, file_kind="pdf", acc_number="7", transactions=[],
                           metadata=PdfMetadata(**meta), header_row_manipulation_count=header_rows)


def summary(match="Success", ratio="0"):
    return Summary(balance_match=match, balance_diff_change_ratio=D(ratio))


def test_every_parser_is_registered_once():
    names = [(p.provider, p.format) for p in default_registry().parsers]
    assert len(names) == len(set(names))
    assert {"pdf_format_1", "pdf_format_2", "csv_format_1", "csv_format_2"} <= {f for _, f in names}
    assert set(default_registry().rules) == {"UATL", "UMTN"}


def _engine_imports(module: str) -> set[str]:
    """The engine modules ``module`` imports, directly or through other engine modules."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(ast.parse(Path(importlib.util.find_spec(name).origin).read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("statements.engine"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    todo.append(sub if _is_module(sub) else node.module)
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("statements.engine")]
    return seen - {module}


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_the_registry_imports_no_provider():
    # Parsers register explicitly (parsers.default_registry): the registry
    # and what it is built on know no provider.
    imported = _engine_imports("statements.engine.registry")
    assert "statements.engine.base" in imported
    assert not {m for m in imported if m.startswith(("statements.engine.providers", "statements.engine.parsers"))}


def test_a_registry_knows_only_the_parsers_registered_on_it():
    registry = ParserRegistry()
    registry.register_parser(umtn.MtnExport())
    airtel_csv = b"Transaction ID,Transaction Date,Transaction Amount,Credit/Debit,Balance\n1,01-09-25 10:00 AM,5,Credit,5\n"
    with pytest.raises(UnknownFormat):
        registry.choose_parser(Source.from_bytes(airtel_csv))
    assert isinstance(default_registry().choose_parser(Source.from_bytes(airtel_csv)), uatl.AirtelCsvFormat1)
    assert type(registry.rules_for("UATL")) is not uatl.AirtelRules  # the defaults: no rules registered


def test_airtel_fee_is_apart_in_format_1_and_inside_the_amount_in_format_2():
    rules = rules_for("UATL")
    t = raw(amount="-1000", fee="500")
    assert rules.base_effect(t, None, "pdf_format_1") == D("-1500")
    assert rules.base_effect(t, None, "pdf_format_2") == D("-1000")
    assert rules.base_effect(raw(amount="2000", fee="100"), None, "csv_format_1") == D("1900")


def test_airtel_failed_rows_are_not_transactions():
    rules = rules_for("UATL")
    assert rules.not_a_transaction(raw(status="FAILED")) and rules.not_a_transaction(raw(status="ROLLBACKED"))
    assert not rules.not_a_transaction(raw(status="COMPLETED"))


def test_airtel_implicit_charges():
    rules = rules_for("UATL")
    assert rules.implicit_charge(raw(amount="-1000", description="Cash In IND02 to 0700")) == (uatl.IND02, D("5.000"))
    assert rules.implicit_charge(raw(amount="-1000", description="Cash In IND01 to 0700")) is None
    assert rules.implicit_charge(raw(amount="-1000", description="MERCHANT PAYMENT OTHER SINGLE STEP to X")) == (uatl.CASHBACK, D("40.00"))


@pytest.mark.parametrize(
    "kind, txn_type, amount, fee, prev, balance, effect",
    [
        ("add", "CASH_OUT", "1000", "0", None, "0", "1000"),
        ("subtract", "CASH_IN", "1000", "250", None, "0", "-1250"),
        ("loan", "LOAN_REPAYMENT", "1000", "0", None, "0", "-1000"),
        ("adjust up", "ADJUSTMENT", "300", "0", "1000", "1300", "300"),
        ("adjust down", "ADJUSTMENT", "300", "0", "1000", "700", "-300"),
    ],
)
def test_mtn_balance_rule_by_type(kind, txn_type, amount, fee, prev, balance, effect):
    direction = umtn.type_direction(txn_type, D(amount))
    t = raw(amount=amount, fee=fee, balance=balance, direction=direction, txn_type=txn_type)
    if direction:
        t.amount = abs(t.amount) if direction == "credit" else -abs(t.amount)
    assert rules_for("UMTN").base_effect(t, D(prev) if prev else None, "xlsx") == D(effect)


GENUINE_F1 = {"title": "PDF Template", "producer": "Qt 4.8.7", "created_raw": "D:20251001"}


@pytest.mark.parametrize(
    "fmt, meta, header_rows, match, ratio, level",
    [
        ("pdf_format_1", GENUINE_F1, 0, "Success", "0", "NO_ISSUES"),
        ("pdf_format_1", {**GENUINE_F1, "modified_raw": "D:20251003"}, 0, "Success", "0", "FATAL"),
        ("pdf_format_1", {"title": "PDF Template", "author": "USER", "producer": "Microsoft Word", "created_raw": "D:1", "modified_raw": "D:2"}, 0, "Success", "0", "FATAL"),
        ("pdf_format_2", {"creator": "Microsoft Word", "producer": "Microsoft® Excel 2016"}, 0, "Success", "0", "FATAL"),
        ("pdf_format_2", {"creator": "MOBIQUITY", "producer": "iText 5.3.4"}, 1, "Success", "0", "FATAL"),
        ("pdf_format_2", {"creator": "MOBIQUITY", "producer": "iText 5.3.4"}, 0, "Success", "0", "NO_ISSUES"),
        ("pdf_format_1", {"producer": "Samsung Electronics"}, 0, "Failed", "0.3", "CRITICAL"),
        ("pdf_format_1", {"producer": "Samsung Electronics"}, 0, "Success", "0.05", "NO_ISSUES"),
        ("pdf_format_1", {"producer": "Samsung Electronics"}, 0, "Success", "0.2", "CRITICAL"),
        ("pdf_format_1", {"producer": "PDFium"}, 0, "Failed", "0", "WARNING"),
        ("pdf_format_1", {"producer": "PDFium"}, 0, "Success", "0", "NO_ISSUES"),
    ],
)
def test_airtel_tampering_signals(fmt, meta, header_rows, match, ratio, level):
    got, reason = rules_for("UATL").tampering(parsed(fmt, header_rows, **meta), summary(match, ratio))
    assert got == level and reason


def test_file_kind_is_sniffed_from_content():
    assert sniff.sniff_kind(b"%PDF-1.4 ...") == FileKind.PDF == "pdf"
    assert sniff.sniff_kind(b"PK\x03\x04rest") == FileKind.XLSX == "xlsx"
    assert sniff.sniff_kind(b"\xd0\xcf\x11\xe0rest") == FileKind.XLS == "xls"
    assert sniff.sniff_kind(b"\x1f\x8brest") == FileKind.GZIP_CSV == "gzip-csv"
    assert sniff.sniff_kind(b"Transaction ID,Transaction Date\n") == FileKind.CSV == "csv"
    for data in (b"", b"<html>x</html>", b"\x89PNG\r\n\x1a\n\x00\x00"):
        with pytest.raises(UnsupportedFile):
            sniff.sniff_kind(data)


def test_a_csv_that_is_no_statement_names_what_it_expected():
    with pytest.raises(StatementError) as caught:
        parse_bytes(b"name,amount\nbob,12\n")
    assert caught.value.code == "unknown_format" and "Transaction ID" in str(caught.value) and "name, amount" in str(caught.value)


def test_an_mtn_csv_missing_columns_names_them():
    with pytest.raises(StatementError) as caught:
        parse_bytes(b"Date / Time,Transaction ID,Transaction Type,Amount,From Account\n2025-01-01 10:00,1,DEPOSIT,5,256700000000\n")
    assert caught.value.code == "missing_columns" and "Fee" in str(caught.value) and "Float Balance" in str(caught.value)


def test_a_cell_with_no_number_in_a_csv_names_the_row():
    data = b"Date / Time,Transaction ID,Transaction Type,Amount,Fee,Float Balance\n2025-01-01 10:00,1,DEPOSIT,5,0,5\n2025-01-01 11:00,2,DEPOSIT,abc,0,10\n"
    with pytest.raises(StatementError) as caught:
        parse_bytes(data, acc_number="700000000")
    assert caught.value.code == "bad_cell" and "row 3" in str(caught.value) and "Amount" in str(caught.value)


def test_a_provider_hint_lets_its_parser_name_the_missing_columns():
    # Too few of MTN's columns to recognise the sheet on its own ...
    data = b"Date / Time,Transaction ID,Amount\n2025-01-01 10:00,1,5\n"
    with pytest.raises(StatementError) as caught:
        parse_bytes(data)
    assert caught.value.code == "unknown_format"
    # ... but the statement request says it is MTN's: the MTN parser names what is missing.
    with pytest.raises(StatementError) as caught:
        parse_bytes(data, provider="UMTN")
    assert caught.value.code == "missing_columns"
    assert all(name in str(caught.value) for name in ("Transaction Type", "Fee", "Float Balance"))
