"""manage.py import_loan_book FILE [--dry-run] [--json]."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from debts.models import Debt
from uploads.choices import UploadStatus
from uploads.models import FileUpload, UploadRow
from uploads.services import FINAL_STATUSES, file_upload_create, file_upload_process


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_loan_book", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_json_prints_the_final_counts(loan_book):
    out, _ = _run(str(loan_book("bad_rows.csv")), "--json")
    counts = json.loads(out)
    assert {k: counts[k] for k in ("total", "customers_created", "customers_matched", "debts_created", "debts_updated", "skipped", "failed")} == {
        "total": 8, "customers_created": 2, "customers_matched": 0, "debts_created": 2, "debts_updated": 0, "skipped": 0, "failed": 6,
    }
    assert counts["upload_id"] == FileUpload.objects.get().pk
    assert UploadRow.objects.count() == 8


@pytest.mark.django_db
def test_dry_run_reports_what_would_happen_and_keeps_nothing(loan_book):
    out, _ = _run(str(loan_book("demo.csv")), "--dry-run", "--json")
    counts = json.loads(out)
    assert (counts["dry_run"], counts["customers_created"], counts["debts_created"]) == (True, 8, 12)
    assert not FileUpload.objects.exists() and not Customer.objects.exists() and not Debt.objects.exists()


@pytest.mark.django_db
def test_human_summary_and_progress_bar(loan_book):
    out, err = _run(str(loan_book("demo.xlsx")))
    assert "customers created" in out and "debts created" in out
    assert "12/12" in err  # tqdm's final state


@pytest.mark.django_db
def test_bad_input_is_a_command_error_naming_the_problem(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run(str(tmp_path / "missing.csv"))
    bad = tmp_path / "x.csv"
    bad.write_text("name,phone\nA,1\n")
    with pytest.raises(CommandError, match="missing required column"):
        _run(str(bad))


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["-5", "20001"])
def test_a_chunk_size_out_of_bounds_is_refused_before_anything_is_written(loan_book, size):
    # -5 used to fail the upload with islice's ValueError and a traceback, its
    # attempt counted; a huge one made a single IN list and INSERT of the whole book.
    with pytest.raises(CommandError, match="chunk size must be 1 to 20,000 lines"):
        _run(str(loan_book("demo.csv")), "--chunk-size", size)
    assert not FileUpload.objects.exists() and not Customer.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_chunk_size_out_of_bounds_and_leaves_the_upload_untouched(loan_book):
    with open(loan_book("demo.csv"), "rb") as handle:
        upload = file_upload_create(fileobj=handle, filename="demo.csv", uploaded_by=None, enqueue=False, may_sync_balances=True)
    with pytest.raises(ValueError, match="chunk size must be 1 to 20,000 lines, not -1"):
        file_upload_process(upload_id=upload.pk, chunk_size=-1)
    upload.refresh_from_db()
    assert (upload.status, upload.attempts) == (UploadStatus.PENDING, 0) and not UploadRow.objects.exists()
    # In bounds (0: the setting), it imports.
    assert file_upload_process(upload_id=upload.pk, chunk_size=0).status in FINAL_STATUSES
