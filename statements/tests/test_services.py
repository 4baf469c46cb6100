"""Storing statements through the engine (statements.services)."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import DatabaseError, connection

from statements import services
from statements.choices import StatementFormat, StatementStatus
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport, StatementSummary

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())
pytestmark = pytest.mark.django_db


def import_sample(name, **kwargs):
    return services.statement_import_file(path=SAMPLES / name, file_name=name, **kwargs)


def test_a_genuine_statement_is_stored_whole():
    job = StatementImport.objects.create(trigger="command")
    result = import_sample("airtel_f1_genuine.pdf", run_id="68babf7f23139", import_job=job)
    exp = EXPECTED["airtel_f1_genuine.pdf"]
    st = Statement.objects.get(pk=result.statement.pk)
    assert not result.duplicate and st.status == StatementStatus.VERIFIED and st.import_job == job
    assert (st.acc_prvdr_code, st.acc_number, st.format, st.pdf_format) == ("UATL", exp["acc_number"], StatementFormat.UATL_PDF_1, 1)
    assert st.customer_name == exp["header"]["Customer Name"] and st.opening_balance == Decimal(exp["opening_balance"])
    assert st.pdf_title == "PDF Template" and st.pdf_producer == "Qt 4.8.7" and st.pdf_created_at and st.pdf_modified_at is None
    assert st.period_start and st.request_date and st.file_sha256 and st.file and st.num_rows == exp["txn_count"]
    raws = RawTransaction.objects.filter(statement=st)
    processed = ProcessedTransaction.objects.filter(statement=st)
    assert raws.count() == processed.count() == exp["txn_count"]
    # provider, account and run_id on every row
    for qs in (raws, processed, StatementSummary.objects.filter(statement=st)):
        assert set(qs.values_list("acc_prvdr_code", "acc_number", "run_id")) == {("UATL", exp["acc_number"], "68babf7f23139")}
    assert not processed.filter(raw__isnull=True).exists()
    summary = st.summary
    assert (summary.verification_status, summary.balance_match, summary.tampering_level) == ("PASS", "Success", "NO_ISSUES")
    assert summary.closing_balance_calculated == Decimal(exp["closing_balance"])


@pytest.mark.parametrize("name", ["airtel_f1_tampered_edited_balance.pdf", "airtel_f2_tampered_injected_header.pdf",
                                  "airtel_f1_tampered_duplicated_row.pdf", "airtel_f2_dirty_cells.pdf", "mtn_export.xlsx"])
def test_tampered_and_dirty_samples_keep_their_signal(name):
    exp = EXPECTED[name]
    st = import_sample(name, acc_number=exp.get("acc_number_hint")).statement
    summary = StatementSummary.objects.get(statement=st)
    assert st.status == exp["status"]
    assert (summary.verification_status, summary.tampering_level, summary.duplicate_count, summary.quality_issues_count) == (
        exp["verification_status"], exp["tampering_level"], exp["duplicate_count"], exp["quality_issues_count"])
    if name == "airtel_f2_dirty_cells.pdf":
        dirty = RawTransaction.objects.filter(statement=st, has_quality_issue=True)
        assert dirty.count() == 3 and all(r.extra.get("quality_notes") for r in dirty)
        assert {r.raw_balance[-1:] for r in dirty if not r.raw_balance[-1:].isdigit()} == {"-", "I"}


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if "error" in e))
def test_bad_input_is_an_import_failed_statement_with_its_reason_and_no_rows(name):
    result = import_sample(name)
    st = Statement.objects.get(pk=result.statement.pk)
    assert st.status == StatementStatus.IMPORT_FAILED and not result.duplicate
    assert EXPECTED[name]["error"] in st.failure_reason
    for text in EXPECTED[name].get("message_contains", []):
        assert text in st.failure_reason
    assert not RawTransaction.objects.filter(statement=st).exists()
    assert not ProcessedTransaction.objects.filter(statement=st).exists()
    assert not StatementSummary.objects.filter(statement=st).exists()


def test_the_same_file_is_not_stored_twice(tmp_path):
    first = import_sample("airtel_f2_genuine.pdf")
    copy = tmp_path / "other-name.pdf"
    shutil.copy(SAMPLES / "airtel_f2_genuine.pdf", copy)
    second = services.statement_import_file(path=copy, file_name="other-name.pdf")
    assert second.duplicate and second.statement.pk == first.statement.pk
    assert Statement.objects.count() == 1
    assert RawTransaction.objects.count() == EXPECTED["airtel_f2_genuine.pdf"]["txn_count"]


def test_a_failed_file_imports_when_tried_again_with_its_password():
    failed = import_sample("bad_encrypted.pdf").statement
    assert failed.status == StatementStatus.IMPORT_FAILED and "password" in failed.failure_reason
    again = import_sample("bad_encrypted.pdf", password=EXPECTED["bad_encrypted.pdf"]["password"])
    assert not again.duplicate and again.statement.pk == failed.pk
    again.statement.refresh_from_db()
    assert again.statement.status == StatementStatus.VERIFIED and again.statement.failure_reason == ""
    assert RawTransaction.objects.filter(statement=failed).count() == EXPECTED["bad_encrypted.pdf"]["txn_count"]


def test_reprocess_rebuilds_processed_rows_and_summary_from_the_raw_rows():
    st = import_sample("airtel_f1_tampered_duplicated_row.pdf").statement
    before = list(ProcessedTransaction.objects.filter(statement=st).order_by("sequence").values_list("txn_id", "calculated_running_balance", "is_duplicate"))
    ProcessedTransaction.objects.filter(statement=st).update(calculated_running_balance=0)
    StatementSummary.objects.filter(statement=st).update(verification_status="FAIL", duplicate_count=0)
    Statement.objects.filter(pk=st.pk).update(status=StatementStatus.FLAGGED)

    # The stored file is gone: reprocessing works from the raw rows alone.
    stored = Path(st.file.path)
    stored.unlink()
    services.statement_reprocess(statement_id=st.pk)
    assert not stored.exists()
    st.refresh_from_db()
    after = list(ProcessedTransaction.objects.filter(statement=st).order_by("sequence").values_list("txn_id", "calculated_running_balance", "is_duplicate"))
    assert after == before
    assert st.status == StatementStatus.VERIFIED_WITH_WARNINGS
    assert (st.summary.verification_status, st.summary.duplicate_count) == ("WARNING", 1)


def test_reprocess_keeps_file_signals_and_mtn_adjustments():
    header = import_sample("airtel_f2_tampered_injected_header.pdf").statement
    mtn = import_sample("mtn_export.xls", acc_number="772123456").statement
    for st in (header, mtn):
        services.statement_reprocess(statement_id=st.pk)
    assert StatementSummary.objects.get(statement=header).tampering_level == "FATAL"
    assert StatementSummary.objects.get(statement=mtn).balance_match == "Success"


def test_reprocess_of_a_failed_import_says_why_it_cannot():
    st = import_sample("bad_scanned.pdf").statement
    with pytest.raises(ValueError, match="no stored transactions"):
        services.statement_reprocess(statement_id=st.pk)


def test_check_file_touches_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        result = services.statement_check_file(path=SAMPLES / "mtn_export.csv", acc_number="772123456")
    assert result.status == StatementStatus.VERIFIED


def test_bytes_in_memory_import_like_a_path():
    data = (SAMPLES / "airtel_f1_export.csv").read_bytes()
    result = services.statement_import_file(path=data, file_name="upload.csv")
    assert result.statement.status == StatementStatus.VERIFIED and result.statement.file_name == "upload.csv"
    assert services.statement_import_file(path=SAMPLES / "airtel_f1_export.csv", file_name="again.csv").duplicate


@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_half_way_leaves_nothing_stored():
    """The database itself refuses the processed rows (a trigger, standing in
    for a full disk or a lost connection) after the raw rows went in: all of
    it must be rolled back."""
    if connection.vendor != "mysql":
        pytest.skip("uses a MySQL trigger to make the database fail mid-write")
    with connection.cursor() as cursor:
        # CREATE TRIGGER commits implicitly, hence a transactional test.
        cursor.execute(
            "CREATE TRIGGER fail_processed BEFORE INSERT ON processed_statements FOR EACH ROW "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'disk full'"
        )
    try:
        with pytest.raises(DatabaseError, match="disk full"):
            import_sample("airtel_f2_genuine.pdf")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS fail_processed")
    assert not Statement.objects.exists() and not RawTransaction.objects.exists()
    assert not StatementSummary.objects.exists()


def test_reprocess_takes_the_statement_or_its_id():
    st = import_sample("mtn_export.csv", acc_number="772123456").statement
    assert services.statement_reprocess(statement=st).pk == st.pk
    with pytest.raises(TypeError):
        services.statement_reprocess()
