"""Counterparties for statements processed before they were kept (issue 18):
``backfill_counterparties`` fills the rows and the summaries' top payer and
payee in batches, idempotently, and the unified_statements view carries
them (MariaDB here; SQLite in a fresh migrate, back and forth)."""
from __future__ import annotations

import importlib
import os
import random
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from fixtures.statements import generate as gen
from statements import services
from statements.models import ProcessedTransaction, StatementSummary, UnifiedStatement
from statements.selectors import top_counterparties
from statements.services.counterparties import TOP_FIELDS, summaries_top_fields
from statements.tests.ops_factories import make_statement
from statements.unified_view import CREATE_VIEW_SQL

ROOT = Path(__file__).resolve().parents[2]
INFO = {**gen.MOMO_META, "CreationDate": gen.pdf_date(datetime(2025, 12, 1, 9))}
BLANK_TOPS = {"top_payer_number": "", "top_payer_name": "", "top_payer_amount": None,
              "top_payee_number": "", "top_payee_name": "", "top_payee_amount": None}


def _momo_statement():
    ms = gen.make_momo_ledger(random.Random(711), 40, start=datetime(2025, 9, 1, 7), opening=Decimal(2_000_000), acc="772000009", bundles=False)
    for t in ms.txns:
        if t.txn_type == "Transfer":
            t.party = "256701999888"
    return services.statement_import_file(path=gen.write_momo_pdf(ms, info=INFO), file_name="rt.pdf").statement


def _rows(statement):
    return list(ProcessedTransaction.objects.filter(statement=statement).order_by("sequence").values_list("counterparty_number", "counterparty_name"))


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("backfill_counterparties", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_backfill_gives_old_rows_and_summaries_what_an_import_gives_them_and_a_second_run_writes_nothing():
    stored = _momo_statement()
    expected_rows = _rows(stored)
    expected_tops = StatementSummary.objects.filter(statement=stored).values(*TOP_FIELDS).get()
    first_in, first_out = (top_counterparties(stored.pk, limit=1)[side][0] for side in ("in", "out"))  # what the page lists first
    assert (expected_tops["top_payer_number"], expected_tops["top_payer_name"], expected_tops["top_payer_amount"]) == (
        first_in["number"], first_in["name"], first_in["total"])
    assert (expected_tops["top_payee_number"], expected_tops["top_payee_amount"]) == (first_out["number"], first_out["total"])
    assert sum(1 for number, name in expected_rows if number or name) > 10
    # As a statement processed before the columns existed.
    ProcessedTransaction.objects.filter(statement=stored).update(counterparty_number="", counterparty_name="")
    StatementSummary.objects.filter(statement=stored).update(**BLANK_TOPS)
    other = make_statement(txns=3)  # rows with no counterparty to find: they stay empty

    out, err = _run("--batch-size", "7")
    assert _rows(stored) == expected_rows
    assert StatementSummary.objects.filter(statement=stored).values(*TOP_FIELDS).get() == expected_tops
    assert _rows(other) == [("", "")] * 3
    filled = sum(1 for number, name in expected_rows if number or name)
    assert f"{len(expected_rows) + 3:,} processed rows without a counterparty read, {filled:,} filled; 1 statement summaries" in out
    assert "backfill rows" in err and "backfill statements" in err  # the progress bars

    out, _ = _run("--batch-size", "7", "--no-progress")
    assert _rows(stored) == expected_rows
    assert ", 0 filled; 0 statement summaries" in out


@pytest.mark.django_db
def test_backfill_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        _run("--batch-size", "0")


@pytest.mark.django_db
def test_the_view_carries_the_top_counterparties_taxes_and_risk_score():
    stored = _momo_statement()
    bare = make_statement(txns=2)
    row = UnifiedStatement.objects.get(statement=stored)
    summary = StatementSummary.objects.get(statement=stored)
    assert summary.top_payer_amount > 0 and (summary.top_payer_number or summary.top_payer_name)
    assert (row.top_payer_number, row.top_payer_name, row.top_payer_amount) == (summary.top_payer_number or None, summary.top_payer_name or None,
                                                                                summary.top_payer_amount)
    assert (row.top_payee_number, row.top_payee_name, row.top_payee_amount) == (summary.top_payee_number or None, summary.top_payee_name or None,
                                                                                summary.top_payee_amount)
    assert (row.taxes, row.risk_score) == (summary.taxes, summary.risk_score)
    empty = UnifiedStatement.objects.get(statement=bare)
    assert (empty.top_payer_number, empty.top_payer_name, empty.top_payer_amount) == (None, None, None)  # NULL, never ''
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM unified_statements WHERE top_payer_number IS NOT NULL")
        assert cursor.fetchone()[0] == 1


def test_migration_0013_freezes_the_current_view_definition():
    frozen = importlib.import_module("statements.migrations.0013_unified_view_counterparties").CREATE_VIEW
    assert frozen.strip() == CREATE_VIEW_SQL.strip()


SQLITE_COLUMNS = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT * FROM unified_statements LIMIT 0")
    print(",".join(c[0] for c in cursor.description))
"""


@pytest.mark.slow
def test_sqlite_migrates_the_view_forward_and_back(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}

    def manage(*args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    manage("migrate", "--noinput", "-v0")
    assert {"top_payer_number", "top_payee_name", "taxes", "risk_score"} <= set(manage("shell", "-c", SQLITE_COLUMNS).split(","))
    manage("migrate", "statements", "0011", "--noinput", "-v0")  # back below 0012 and 0013: 0002's view
    back = set(manage("shell", "-c", SQLITE_COLUMNS).split(","))
    assert "cust_id" in back and "top_payer_number" not in back and "taxes" not in back
    manage("migrate", "--noinput", "-v0")
    assert "top_payer_number" in manage("shell", "-c", SQLITE_COLUMNS).split(",")


@pytest.mark.django_db
def test_top_fields_of_many_statements_in_one_query_match_what_the_page_lists_first(django_assert_max_num_queries):
    stored = _momo_statement()
    hand = make_statement(txns=4)
    rows = list(ProcessedTransaction.objects.filter(statement=hand).order_by("sequence"))
    for row, (amount, number, name) in zip(rows, [(500, "0701", "B"), (500, "0702", "A"), (-300, "", "SHOP"), (200, "0701", "B")], strict=True):
        row.amount, row.counterparty_number, row.counterparty_name = Decimal(amount), number, name
    ProcessedTransaction.objects.bulk_update(rows, ["amount", "counterparty_number", "counterparty_name"])
    with django_assert_max_num_queries(1):
        tops = summaries_top_fields([stored.pk, hand.pk])
    assert tops[hand.pk] == {"top_payer_number": "0701", "top_payer_name": "B", "top_payer_amount": Decimal(700),
                             "top_payee_number": "", "top_payee_name": "SHOP", "top_payee_amount": Decimal(300)}
    for pk in (stored.pk, hand.pk):
        first = top_counterparties(pk, limit=1)
        assert (tops[pk]["top_payer_number"], tops[pk]["top_payer_amount"]) == (first["in"][0]["number"], first["in"][0]["total"])
        assert (tops[pk]["top_payee_name"], tops[pk]["top_payee_amount"]) == (first["out"][0]["name"], first["out"][0]["total"])


@pytest.mark.django_db
def test_backfill_refuses_a_batch_too_big_to_hold():
    # Each batch's rows are held in memory in one transaction: bounded.
    with pytest.raises(CommandError, match="at most 50,000"):
        _run("--batch-size", "50001")
    with pytest.raises(ValueError, match="at most 50,000"):
        services.counterparties_backfill(batch_size=10**9)
