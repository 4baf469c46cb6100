"""MTN MoMo PDFs' Taxes in their own column (issue 18): the running balance
moves by amount + fee + tax; fee and tax are stored, shown and exported
apart; rows stored before the split are split by migration 0012."""
from __future__ import annotations

import importlib
import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from fixtures.statements import generate as gen
from statements import exports, services
from statements.engine import verify
from statements.engine.cells import MAX_MONEY
from statements.engine.parsers import default_registry
from statements.engine.types import CREDIT, DEBIT, ParsedStatement, RawTxn
from statements.engine.vocabulary import Format
from statements.models import MONEY, ProcessedTransaction, RawTransaction, Statement, StatementSummary
from statements.tests.ops_factories import make_statement

SAMPLES = Path(gen.__file__).resolve().parent / "samples"
NEWEST_FIRST = "mtn_momo_newest_first.pdf"

# The download's columns as they were before issue 18's tax: a contract (scripts read them by position).
PROCESSED_BEFORE = [
    "id", "statement_id", "acc_prvdr_code", "acc_number", "run_id", "sequence", "txn_id", "txn_date_utc", "txn_type",
    "description", "status", "direction", "amount", "fee", "balance", "calculated_running_balance", "balance_diff",
    "implicit_charge", "is_duplicate", "is_special", "special_type", "has_quality_issue", "counterparty_number", "counterparty_name",
]
RAW_BEFORE = [
    "id", "statement_id", "acc_prvdr_code", "acc_number", "run_id", "row_number", "page_number", "txn_id", "txn_date_utc",
    "txn_type", "description", "from_acc", "to_acc", "status", "direction", "amount", "fee", "balance", "raw_date",
    "raw_amount", "raw_fee", "raw_balance", "has_quality_issue",
]


def _row(n: int, amount: str, fee: str, tax: str, balance: str, direction: str) -> RawTxn:
    return RawTxn(row_no=n, txn_id=f"T{n}", txn_date=datetime(2025, 9, 1, 8) + timedelta(hours=n), amount=Decimal(amount), fee=Decimal(fee),
                  tax=Decimal(tax), balance=Decimal(balance), direction=direction, txn_type="Transfer")


def test_the_running_balance_moves_by_amount_fee_and_tax():
    rows = [_row(1, "100000", "0", "0", "500000", CREDIT), _row(2, "-50000", "1000", "250", "448750", DEBIT),
            _row(3, "20000", "0", "100", "468650", CREDIT)]
    result = verify.process(ParsedStatement(provider="UMTN", format=Format.MOMO_PDF, file_kind="pdf", acc_number="772000001", transactions=rows))
    assert result.summary.balance_match == "Success" and [p.balance_diff for p in result.transactions] == [0, 0, 0]
    assert (result.summary.fees, result.summary.taxes) == (Decimal(1000), Decimal(350))
    rules = default_registry().rules_for("UMTN")
    assert rules.base_effect(rows[1], Decimal(500000), Format.MOMO_PDF) == Decimal(-51250)
    # The same rows with the tax left out of the check no longer balance.
    untaxed = [_row(r.row_no, str(r.amount), str(r.fee), "0", str(r.balance), r.direction) for r in rows]
    again = verify.process(ParsedStatement(provider="UMTN", format=Format.MOMO_PDF, file_kind="pdf", acc_number="772000001", transactions=untaxed))
    assert again.summary.balance_match == "Failed"


@pytest.mark.django_db
def test_a_stored_momo_pdf_keeps_fee_and_tax_apart_and_shows_and_exports_both(analyst_client, analyst, client):
    ledger = gen.momo_ledger(NEWEST_FIRST)
    stored = services.statement_import_file(path=(SAMPLES / NEWEST_FIRST).read_bytes(), file_name="momo.pdf").statement
    assert stored.status == "VERIFIED"
    by_id = {t.txn_id: t for t in ledger.txns}
    for row in ProcessedTransaction.objects.filter(statement=stored):
        assert (row.fee, row.tax) == (by_id[row.txn_id].fees, by_id[row.txn_id].taxes)
    assert set(RawTransaction.objects.filter(statement=stored).values_list("txn_id", "tax")) == {(t.txn_id, t.taxes) for t in ledger.txns}
    summary = StatementSummary.objects.get(statement=stored)
    assert summary.taxes == sum((t.taxes for t in ledger.txns), Decimal(0)) > 0
    assert summary.fees == sum((t.fees for t in ledger.txns), Decimal(0))
    # Re-verification from the stored rows: the same split, the same verdict.
    services.statement_reprocess(statement=stored)
    again = StatementSummary.objects.get(statement=stored)
    assert (again.fees, again.taxes, again.balance_match) == (summary.fees, summary.taxes, "Success")
    # API
    api = analyst_client.get(f"/api/v1/statements/{stored.pk}/processed-transactions/").json()
    taxed = next(r for r in api["results"] if Decimal(r["tax"]) > 0)
    assert Decimal(taxed["tax"]) == by_id[taxed["txn_id"]].taxes and Decimal(taxed["fee"]) == by_id[taxed["txn_id"]].fees
    assert Decimal(analyst_client.get(f"/api/v1/statements/{stored.pk}/").json()["summary"]["taxes"]) == summary.taxes
    # Downloads: tax added at the end, the columns before it unchanged.
    for kind, before in (("processed", PROCESSED_BEFORE), ("raw", RAW_BEFORE)):
        response = analyst_client.get(f"/api/v1/download/{kind}", {"statement": stored.pk})
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0].split(",") == [*before, "tax"]
        taxes = sorted(Decimal(line.rsplit(",", 1)[1]) for line in lines[1:])
        assert taxes == sorted(t.taxes for t in ledger.txns)
    assert list(exports.KINDS["processed"].header[: len(PROCESSED_BEFORE)]) == PROCESSED_BEFORE
    # The detail page's transactions table.
    client.force_login(analyst)
    html = client.get(f"/statements/{stored.pk}/").content.decode()
    assert '<th class="num">Tax</th>' in html and 'data-label="Tax"' in html


@pytest.mark.django_db
def test_admin_lists_show_the_tax(admin_client):
    stored = services.statement_import_file(path=(SAMPLES / NEWEST_FIRST).read_bytes(), file_name="momo.pdf").statement
    for model in ("processedtransaction", "rawtransaction"):
        html = admin_client.get(f"/admin/statements/{model}/", {"statement__id__exact": stored.pk}).content.decode()
        assert "column-tax" in html and "column-fee" in html, model


@pytest.mark.django_db
def test_migration_0012_splits_rows_stored_with_taxes_inside_the_fee_once():
    migration = importlib.import_module("statements.migrations.0012_tax_column")
    statement = make_statement(provider="UMTN", txns=2)
    statement.format = "umtn_pdf"
    statement.save(update_fields=["format"])
    # As issue 18's first cut stored a MoMo PDF row: fee = Fees + Taxes, each kept as text in extra.
    RawTransaction.objects.filter(statement=statement).update(fee=Decimal(1300), extra={"fees": "1000", "taxes": "300", "raw_taxes": "UGX 300"})
    ProcessedTransaction.objects.filter(statement=statement).update(fee=Decimal(1300))
    StatementSummary.objects.filter(statement=statement).update(fees=Decimal(2600))
    for _ in range(2):  # idempotent: the second run finds nothing to split
        migration.split_momo_taxes(django_apps, None)
        assert set(RawTransaction.objects.filter(statement=statement).values_list("fee", "tax")) == {(Decimal(1000), Decimal(300))}
        assert set(ProcessedTransaction.objects.filter(statement=statement).values_list("fee", "tax")) == {(Decimal(1000), Decimal(300))}
        assert StatementSummary.objects.filter(statement=statement).values_list("fees", "taxes").get() == (Decimal(2000), Decimal(600))


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["Taxes", "Amount"])
def test_a_taxes_or_amount_cell_too_large_to_store_fails_the_import_with_its_place_and_writes_no_rows(column):
    # The money columns hold 18 digits, 2 of them decimals: the engine's bound is theirs.
    assert MAX_MONEY == Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"]) - Decimal("0.01")
    ms = gen.make_momo_ledger(random.Random(706), 20, start=datetime(2025, 9, 1, 7), opening=Decimal(300_000), acc="772000003")
    ms.txns[-3].override = {column: "UGX 99,999,999,999,999,999,999"}  # newest first: file row 3 of page 1
    data = gen.write_momo_pdf(ms, info={**gen.MOMO_META, "CreationDate": gen.pdf_date(datetime(2025, 12, 1, 9))})
    outcome = services.statement_import_file(path=data, file_name="momo.pdf")  # was a DataError (out of range) mid-insert
    assert outcome.error is not None and outcome.error.code == "bad_cell"
    assert "page 1, row 3" in str(outcome.error) and f"'{column}'" in str(outcome.error) and "9,999,999,999,999,999.99" in str(outcome.error)
    statement = Statement.objects.get(pk=outcome.statement.pk)
    assert statement.status == "IMPORT_FAILED"
    assert not RawTransaction.objects.filter(statement=statement).exists() and not ProcessedTransaction.objects.filter(statement=statement).exists()


@pytest.mark.django_db
def test_cells_within_range_that_add_up_past_it_fail_the_import_naming_the_figure_and_write_no_rows():
    # Each cell is within MAX_MONEY, their total is not: refused by the engine
    # (was a DataError at the insert: the recomputed balances first).
    ms = gen.make_momo_ledger(random.Random(707), 20, start=datetime(2025, 9, 1, 7), opening=Decimal(300_000), acc="772000004")
    for txn in ms.txns:  # money in and out alike: each direction's total passes the bound
        txn.override = {"Amount": "UGX 5,000,000,000,000,000.00"}
    data = gen.write_momo_pdf(ms, info={**gen.MOMO_META, "CreationDate": gen.pdf_date(datetime(2025, 12, 1, 9))})
    outcome = services.statement_import_file(path=data, file_name="momo.pdf")
    assert outcome.error is not None and outcome.error.code == "out_of_range", outcome.error
    assert "beyond what a money column holds" in str(outcome.error) and "9,999,999,999,999,999.99" in str(outcome.error)
    statement = Statement.objects.get(pk=outcome.statement.pk)
    assert statement.status == "IMPORT_FAILED"
    assert not RawTransaction.objects.filter(statement=statement).exists() and not ProcessedTransaction.objects.filter(statement=statement).exists()
