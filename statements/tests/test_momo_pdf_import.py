"""MTN MoMo PDF statements through the Django doors (issue 18): the import
command and the API store them as UMTN ``umtn_pdf`` statements, verified,
and re-verification from the stored rows gives the same verdict."""
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from statements import services
from statements.choices import StatementFormat, StatementStatus
from statements.models import Statement

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples"


@pytest.mark.django_db
def test_import_command_stores_a_momo_pdf_in_ledger_order(tmp_path):
    path = tmp_path / "momo.pdf"
    path.write_bytes((SAMPLES / "mtn_momo_newest_first.pdf").read_bytes())
    call_command("import_statements", str(path), "--no-progress", stdout=StringIO())
    statement = Statement.objects.get()
    assert (statement.acc_prvdr_code, statement.format, statement.acc_number) == ("UMTN", StatementFormat.UMTN_PDF, "772123456")
    assert statement.status == StatementStatus.VERIFIED and statement.summary.balance_match == "Success"
    rows = list(statement.processed_transactions.order_by("sequence"))
    assert len(rows) == 80 and all(a.txn_date <= b.txn_date for a, b in zip(rows, rows[1:], strict=False))
    raw = statement.raw_transactions.get(row_number=1)  # the file's first row is the newest
    assert raw.txn_date == max(r.txn_date for r in rows) and raw.raw_fee.startswith("UGX") and "taxes" in raw.extra
    services.statement_reprocess(statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.VERIFIED and statement.summary.balance_match == "Success"


@pytest.mark.django_db
def test_api_upload_of_a_tampered_momo_pdf_is_flagged(analyst_client, django_capture_on_commit_callbacks):
    data = (SAMPLES / "mtn_momo_tampered_balance.pdf").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post("/api/v1/statements/", {"files": [SimpleUploadedFile("m.pdf", data)]}, format="multipart")
    assert response.status_code == 202
    job = analyst_client.get(f"/api/v1/statement-imports/{response.json()['id']}/").json()
    statement = Statement.objects.get(pk=job["results"][0]["statement_id"])
    assert statement.acc_prvdr_code == "UMTN" and statement.status == StatementStatus.FLAGGED
