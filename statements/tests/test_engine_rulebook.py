"""Every rule of every provider's table (``statements.engine.rulebook``),
run through the provider's registered ``ProviderRules`` and, for the
special transactions, through the whole processing chain (issue 18)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from statements.engine import check_path, verify
from statements.engine.forensics.templates import TEMPLATES
from statements.engine.parsers import default_registry
from statements.engine.providers import uatl, umtn
from statements.engine.providers.umtn_pdf import derive_directions
from statements.engine.rulebook import TABLES
from statements.engine.rulebook.schema import ProviderTable
from statements.engine.types import CREDIT, DEBIT, ParsedStatement, PdfMetadata, RawTxn, Summary
from statements.engine.vocabulary import Format, SpecialType

SPECIALS = [(p, rule) for p, table in TABLES.items() for rule in table.specials]
CHARGES = [(p, rule) for p, table in TABLES.items() for rule in table.implicit_charges]
STATUSES = [(p, status, kind) for p, table in TABLES.items() for status, kind in table.not_completed.items()]
FEE_INSIDE = [(p, fmt) for p, table in TABLES.items() for fmt in table.fee_inside_amount]
# Sorted: the type lists are sets, and pytest-xdist's workers must collect
# the same parameters in the same order.
TYPED = [(p, t, CREDIT) for p, table in TABLES.items() for t in sorted(table.credit_types)] + [
    (p, t, DEBIT) for p, table in TABLES.items() for t in sorted(table.debit_types)]
FORMAT_TYPES = [(p, fmt, t, d) for p, table in TABLES.items() for fmt, types in table.format_type_directions.items() for t, d in types.items()]
TEMPLATE_FACTS = [(p, fmt, name) for p, table in TABLES.items() for fmt, name in table.templates.items()]
SIGNATURES = [(p, name, sig) for p, table in TABLES.items() for name, sig in table.signatures.items()]
EDITORS = [(p, word) for p, table in TABLES.items() for word in table.editors]


def rules_for(provider: str):
    return default_registry().rules_for(provider)


def txn(n: int, amount: str, balance: str, description: str = "", fee: str = "0", status: str = "", txn_type: str = "") -> RawTxn:
    value = Decimal(amount)
    return RawTxn(row_no=n, txn_id=f"T{n}", txn_date=datetime(2025, 9, 1, 8) + timedelta(hours=n), amount=value, fee=Decimal(fee),
                  balance=Decimal(balance), description=description, status=status, txn_type=txn_type,
                  direction=CREDIT if value >= 0 else DEBIT)


def parsed(provider: str, rows: list[RawTxn], fmt: str = "csv") -> ParsedStatement:
    return ParsedStatement(provider=provider, format=fmt, file_kind="csv", acc_number="700000000", transactions=rows)


def test_every_provider_has_its_table_registered():
    assert set(TABLES) == {"UATL", "UMTN"}
    for provider, table in TABLES.items():
        assert type(rules_for(provider)).table is table and table.provider == provider


def test_umtn_has_its_bundle_rule_and_airtel_keeps_its_own():
    assert SpecialType.BUNDLE in TABLES["UMTN"].special_kinds()
    assert SpecialType.BUNDLE not in TABLES["UATL"].special_kinds()
    assert rules_for("UATL").special_type("Bundle Purchase 1GB") == ""


@pytest.mark.parametrize(("provider", "rule"), SPECIALS, ids=lambda v: getattr(v, "kind", v))
def test_every_special_rule(provider, rule):
    rules = rules_for(provider)
    assert rule.example and rules.special_type(rule.example) == rule.kind
    assert rules.special_type(rule.example.upper()) == rule.kind  # any case
    assert rules.moves_balance(rule.kind) is rule.moves_balance and rules.is_skipped(rule.kind) is rule.skipped
    # Through the chain: a statement whose third row is the special one.
    amount, after, last = ("-3000", "4000", "3000") if rule.moves_balance else ("5000", "7000", "6000")
    rows = [txn(1, "10000", "10000", "Received"), txn(2, "-3000", "7000", "Sent"), txn(3, amount, after, rule.example), txn(4, "-1000", last, "Sent")]
    result = verify.process(parsed(provider, rows))
    special = result.transactions[2]
    assert special.special_type == rule.kind and special.is_special
    assert special.skipped is (rule.skipped or not rule.moves_balance)
    assert result.summary.balance_match == "Success" and result.summary.special_txn_count == 1


@pytest.mark.parametrize(("provider", "status", "kind"), STATUSES)
def test_every_not_completed_status(provider, status, kind):
    rules = rules_for(provider)
    assert rules.not_a_transaction(txn(1, "-500", "0", status=status)) == kind
    assert rules.not_a_transaction(txn(1, "-500", "0", status=f" {status.lower()} ")) == kind
    assert rules.not_a_transaction(txn(1, "-500", "0", status="COMPLETED")) == ""
    rows = [txn(1, "1000", "1000"), txn(2, "-500", "1000", status=status), txn(3, "-100", "900")]
    result = verify.process(parsed(provider, rows))
    assert result.summary.balance_match == "Success" and result.transactions[1].skipped


@pytest.mark.parametrize(("provider", "rule"), CHARGES, ids=lambda v: getattr(v, "kind", v))
def test_every_implicit_charge_rule(provider, rule):
    rules = rules_for(provider)
    assert rules.implicit_charge(txn(1, "-1000", "0", rule.example)) == (rule.kind, Decimal(1000) * rule.rate)
    for word in rule.unless:
        found = rules.implicit_charge(txn(1, "-1000", "0", f"{rule.example} {word}"))
        assert found is None or found[0] != rule.kind
    # Decided per statement: applied when the balances say so.
    charge = Decimal(1000) * rule.rate
    rows = [txn(1, "10000", "10000"), txn(2, "-1000", str(Decimal(9000) + charge), rule.example), txn(3, "-1000", str(Decimal(8000) + charge))]
    result = verify.process(parsed(provider, rows))
    assert result.summary.balance_match == "Success" and result.transactions[1].implicit_charge == charge


@pytest.mark.parametrize(("provider", "fmt"), FEE_INSIDE)
def test_every_fee_inside_amount_format(provider, fmt):
    rules = rules_for(provider)
    assert rules.base_effect(txn(1, "-1000", "0", fee="500"), None, fmt) == Decimal(-1000)
    assert rules.base_effect(txn(1, "-1000", "0", fee="500"), None, "some_other_format") == Decimal(-1500)


@pytest.mark.parametrize(("provider", "txn_type", "direction"), TYPED)
def test_every_type_sign(provider, txn_type, direction):
    assert umtn.type_direction(txn_type, Decimal(1000)) == direction  # only MTN's export has typed signs today
    t = replace(txn(1, "1000" if direction == CREDIT else "-1000", "0", fee="100", txn_type=txn_type), direction=direction)
    assert rules_for(provider).base_effect(t, None, "xlsx") == (Decimal(900) if direction == CREDIT else Decimal(-1100))


def test_every_positive_is_debit_type_and_the_sign_from_the_balance():
    for provider, table in TABLES.items():
        for txn_type in table.positive_is_debit:
            assert umtn.type_direction(txn_type, Decimal(1)) == DEBIT and umtn.type_direction(txn_type, Decimal(-1)) == CREDIT
        t = replace(txn(1, "300", "700"), direction="")
        expected = Decimal(-300) if table.sign_from_balance else Decimal(300)
        assert rules_for(provider).base_effect(t, Decimal(1000), "xlsx") == expected


@pytest.mark.parametrize(("provider", "fmt", "txn_type", "direction"), FORMAT_TYPES)
def test_every_format_type_direction(provider, fmt, txn_type, direction):
    assert fmt == Format.MOMO_PDF
    # The balance moving the other way does not change a typed row's direction (it is noted instead).
    rows = [RawTxn(row_no=1, txn_id="1", txn_date=datetime(2025, 1, 1), amount=Decimal(100), fee=Decimal(0), balance=Decimal(1100),
                   txn_type=txn_type.title(), extra={"file_row": 1}, page=1)]
    warnings: list[str] = []
    derive_directions(rows, Decimal(1000), warnings)
    assert rows[0].direction == direction
    assert bool(warnings) is (direction == DEBIT)


@pytest.mark.parametrize(("provider", "fmt", "name"), TEMPLATE_FACTS)
def test_every_template_fact_names_the_forensic_template(provider, fmt, name):
    assert TEMPLATES[fmt].name == name


@pytest.mark.parametrize(("provider", "name", "signature"), SIGNATURES)
def test_every_genuine_signature_is_its_template_producer(provider, name, signature):
    producers = [p for fmt in TABLES[provider].templates for p in TEMPLATES[fmt].producers]
    assert any(signature["producer"].startswith(p) or p.startswith(signature["producer"]) for p in producers)


@pytest.mark.parametrize(("provider", "word"), EDITORS)
def test_every_editor_word_is_a_format_2_signal(provider, word):
    f2 = parsed(provider, [txn(1, "1", "1")], fmt="pdf_format_2")
    assert uatl.signal_f2_editor_producer(f2, PdfMetadata(producer=f"{word.title()} 2016"))


def test_a_provider_without_a_table_gets_rule_4_only():
    rules = rules_for("XXXX")
    assert rules.special_type("Commission Disbursement x") == SpecialType.COMMISSION and rules.special_type("Bundle") == ""
    assert rules.implicit_charge(txn(1, "-1000", "0", "Cash In IND02")) is None and rules.not_a_transaction(txn(1, "1", "1", status="FAILED")) == ""
    assert isinstance(type(rules).table, ProviderTable)


def test_mtn_momo_pdf_bundle_rows_are_marked_and_still_move_the_balance():
    result = check_path(Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples" / "mtn_momo_newest_first.pdf")
    bundles = [p for p in result.transactions if p.special_type == SpecialType.BUNDLE]
    assert bundles and all(not p.skipped and p.effect < 0 for p in bundles)
    assert result.summary.balance_match == "Success"
    assert isinstance(result.summary, Summary)
