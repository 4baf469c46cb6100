"""manage.py parse_statement: one JSON document, no database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "fixtures" / "statements" / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())


def run(*args):
    """The command in a fresh process whose database is a closed port."""
    env = {**os.environ, "DATABASE_URL": "mysql://root@127.0.0.1:1/x"}
    return subprocess.run([sys.executable, "manage.py", "parse_statement", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_json_document_with_no_database_reachable():
    done = run(str(SAMPLES / "airtel_f1_genuine.pdf"), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    exp = EXPECTED["airtel_f1_genuine.pdf"]
    assert (doc["provider"], doc["format"], doc["acc_number"]) == ("UATL", "pdf_format_1", exp["acc_number"])
    assert (doc["verification_status"], doc["status"], doc["tampering_level"]) == ("PASS", "VERIFIED", "NO_ISSUES")
    assert doc["verification_reason"] and doc["tampering_reason"]
    assert doc["header"]["Customer Name"] == exp["header"]["Customer Name"]
    assert doc["pdf_metadata"]["producer"] == "Qt 4.8.7"
    assert len(doc["transactions"]) == exp["txn_count"]
    first = doc["transactions"][0]
    for key in ("txn_id", "timestamp", "type", "description", "status", "amount", "fee", "balance", "calculated_balance",
                "direction", "is_duplicate", "is_special", "special_type", "has_quality_issue"):
        assert key in first
    assert isinstance(first["amount"], str) and isinstance(doc["summary"]["closing_balance_calculated"], str)
    assert doc["summary"]["closing_balance_calculated"] == exp["closing_balance"]


def test_unreadable_input_exits_non_zero_with_one_line():
    done = run(str(SAMPLES / "bad_encrypted.pdf"), "--json")
    assert done.returncode != 0 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "password" in lines[0]


def test_options_reach_the_engine():
    out = StringIO()
    call_command("parse_statement", str(SAMPLES / "bad_encrypted.pdf"), "--password", "s3cret", "--json", stdout=out)
    assert len(json.loads(out.getvalue())["transactions"]) == EXPECTED["bad_encrypted.pdf"]["txn_count"]
    out = StringIO()
    call_command("parse_statement", str(SAMPLES / "mtn_export.xlsx"), "--provider", "umtn", "--acc-number", "772000111", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert (doc["provider"], doc["acc_number"]) == ("UMTN", "772000111")


@pytest.mark.parametrize("name", ["bad_cell_no_number.pdf", "bad_not_a_pdf.pdf", "bad_mtn_missing_columns.xlsx"])
def test_bad_files_name_the_problem(name):
    with pytest.raises(CommandError) as caught:
        call_command("parse_statement", str(SAMPLES / name), "--json", stdout=StringIO())
    assert EXPECTED[name]["error"] in str(caught.value)
    for text in EXPECTED[name].get("message_contains", []):
        assert text in str(caught.value)


def test_json_prints_the_risk_score_and_its_reasons():
    genuine = json.loads(run(str(ROOT / "fixtures" / "statements" / "genuine" / "f1_plain.pdf"), "--json").stdout)
    assert genuine["risk_score"] == 0 and genuine["reasons"] == []
    done = run(str(SAMPLES / "airtel_f1_tampered_modified_metadata.pdf"), "--json")
    doc = json.loads(done.stdout)
    assert doc["risk_score"] >= 70 and doc["status"] == "FLAGGED"
    codes = {r["code"] for r in doc["reasons"]}
    assert {"metadata_rule", "date_modified"} <= codes
    assert set(doc["reasons"][0]) == {"code", "message", "weight", "page", "row", "field"}


def test_command_class_prints_the_same_for_call_command():
    out = StringIO()
    call_command("parse_statement", str(SAMPLES / "airtel_f1_genuine.pdf"), "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["risk_score"] == 0 and doc["status"] == "VERIFIED"
    with pytest.raises(CommandError, match="password"):
        call_command("parse_statement", str(SAMPLES / "bad_encrypted.pdf"))
