"""The pipeline (seed 003 steps 1-2): every line tracked, customers deduplicated, loans matched."""
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from debts.choices import DebtStatus
from debts.models import Debt
from uploads.choices import MatchMethod, RowStatus, UploadStatus
from uploads.models import FileUpload, UploadRow
from uploads.services import UploadRejected, file_upload_create, file_upload_process, file_upload_resume, file_upload_resume_stalled

HEADER = ["name", "phone", "loan_id", "amount", "due_date", "Branch", "Due Amount", "Last Paid Date", "Last Paid Amount"]


def write_csv(tmp_path, rows, header=HEADER, name="book.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def rows_of(upload):
    return {r.line_number: r for r in UploadRow.objects.filter(file_upload=upload)}


@pytest.mark.django_db
def test_demo_book_creates_customers_once_and_a_loan_per_line(import_file, loan_book):
    upload = import_file(loan_book("demo.csv"))
    assert upload.status == UploadStatus.COMPLETED
    assert (upload.total_records, upload.processed_records, upload.success_records, upload.failed_records) == (12, 12, 12, 0)
    # 12 lines, 8 people: Nakato x3, Müller x2 (accents, phone format), Okello x2 (name order, phone alone).
    assert Customer.objects.count() == upload.customers_created == 8
    assert Debt.objects.count() == upload.debts_created == 12
    rows = rows_of(upload)
    assert len(rows) == 12
    assert rows[3].match_method == MatchMethod.FINGERPRINT and rows[3].matched_customer == rows[2].matched_customer
    assert rows[5].match_method == MatchMethod.FINGERPRINT and rows[5].matched_customer == rows[4].matched_customer
    # Name order differs ("Okello Joseph"): the same name, whatever its word order.
    assert rows[7].match_method == MatchMethod.FINGERPRINT and rows[7].matched_customer == rows[6].matched_customer
    nakato = rows[2].matched_customer
    assert nakato.primary_phone == "+256772123456" and nakato.first_uploaded_at == upload.uploaded_at
    assert sorted(nakato.debts.values_list("loan_id", flat=True)) == ["LN-1001", "LN-1002", "LN-1012"]
    loan = Debt.objects.get(loan_id="LN-1001")
    assert (loan.current_balance, loan.due_amount, loan.last_payment_amount) == (Decimal("1250000"), Decimal("150000"), Decimal("50000"))
    assert (loan.due_date, loan.last_payment_date, loan.branch, loan.employee_id) == (date(2024, 1, 15), date(2023, 12, 10), "Kampala Main", "EMP001")
    assert loan.source_upload_id == upload.pk and rows[2].matched_debt == loan
    assert Debt.objects.get(loan_id="LN-1008").status == DebtStatus.PAID_OFF  # zero balance


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["demo_bom.csv", "demo_latin1.csv", "demo_semicolon.csv", "demo_crlf.csv", "demo.xlsx"])
def test_every_file_variant_imports_to_the_same_customers_and_loans(import_file, loan_book, variant):
    upload = import_file(loan_book(variant))
    assert (upload.status, upload.success_records, upload.customers_created, upload.debts_created) == (UploadStatus.COMPLETED, 12, 8, 12)
    assert Debt.objects.get(loan_id="LN-1003").current_balance == Decimal("980000.50")
    assert Customer.objects.filter(full_name="José Müller").count() == 1


@pytest.mark.django_db
def test_bad_rows_fail_alone_with_their_reason_and_the_rest_go_through(import_file, loan_book):
    upload = import_file(loan_book("bad_rows.csv"))
    assert upload.status == UploadStatus.COMPLETED_WITH_ERRORS
    assert (upload.total_records, upload.success_records, upload.failed_records) == (8, 2, 6)
    rows = rows_of(upload)
    assert rows[2].status == rows[9].status == RowStatus.CREATED
    assert rows[3].error == 'line 3, column "phone" = "12ab": is not a valid phone number for region UG'
    assert rows[4].error == (
        'line 4, column "amount" = "fifty thousand": is not an amount '
        "(write a number such as 1250000, 1,250,000, UGX 1,250,000 or 1.2m; words, units and symbols are not read)"
    )
    assert 'column "name" = "": is required' in rows[5].error
    assert 'column "loan_id" = "": is required' in rows[6].error
    assert 'column "due_date" = "31/02/2024"' in rows[7].error
    assert 'column "amount" = "-5000": must not be negative' in rows[8].error
    assert all(r.matched_customer_id is None and r.matched_debt_id is None for r in rows.values() if r.status == RowStatus.FAILED)
    assert sorted(Debt.objects.values_list("loan_id", flat=True)) == ["LN-1001", "LN-1003"]


@pytest.mark.django_db
def test_same_file_again_is_recognised_and_its_rows_skipped_not_duplicated(import_file, loan_book):
    first = import_file(loan_book("demo.csv"))
    again = import_file(loan_book("demo.csv"), filename="demo (1).csv")
    assert again.duplicate_of == first and again.sha256 == first.sha256
    assert (again.status, again.skipped_records, again.success_records, again.customers_created, again.debts_created) == (
        UploadStatus.COMPLETED, 12, 0, 0, 0)
    assert Customer.objects.count() == 8 and Debt.objects.count() == 12
    skipped = rows_of(again)[2]
    assert (skipped.status, skipped.match_method) == (RowStatus.SKIPPED, MatchMethod.DUPLICATE_ROW)
    assert skipped.matched_debt == rows_of(first)[2].matched_debt


@pytest.mark.django_db
def test_a_new_loan_book_updates_loans_by_loan_id_and_matches_customers(import_file, tmp_path):
    import_file(write_csv(tmp_path, [["Sarah Nakato", "0772123456", "L1", "1,000", "2024-01-15", "Kampala", "100", "", ""]], name="jan.csv"))
    feb = import_file(write_csv(tmp_path, [
        ["Sarah Nakato", "+256 772 123456", "L1", "900", "2024-02-15", "Ntinda", "100", "2024-01-20", "100"],
        ["Sarah Nakato", "0772123456", "L2", "500", "2024-02-15", "Ntinda", "50", "", ""],
    ], name="feb.csv"))
    assert (feb.debts_updated, feb.debts_created, feb.customers_matched, feb.customers_created) == (1, 1, 1, 0)
    l1 = Debt.objects.get(loan_id="L1")
    assert (l1.current_balance, l1.original_amount, l1.due_date, l1.branch) == (Decimal("900"), Decimal("1000"), date(2024, 2, 15), "Ntinda")
    assert (l1.last_payment_date, l1.last_payment_amount) == (date(2024, 1, 20), Decimal("100"))
    assert Customer.objects.count() == 1
    unchanged = import_file(write_csv(tmp_path, [["Sarah Nakato", "0772123456", "L1", "900", "", "", "", "", ""]], name="mar.csv"))
    row = UploadRow.objects.get(file_upload=unchanged)
    # Blank cells keep what we know; nothing changed, so the line only matched.
    assert (row.status, unchanged.debts_updated) == (RowStatus.MATCHED, 0)
    assert Debt.objects.get(loan_id="L1").due_date == date(2024, 2, 15)


@pytest.mark.django_db
def test_national_id_matches_on_phone_and_is_encrypted_and_masked(import_file, tmp_path):
    header = ["name", "phone", "loan_id", "amount", "National ID"]
    first = import_file(write_csv(tmp_path, [["Grace Atim", "0701000222", "L1", "10", "CM90012345ABCD"]], header=header, name="a.csv"))
    customer = Customer.objects.get()
    assert customer.national_id == "CM90012345ABCD"
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id FROM customers WHERE id = %s", [customer.pk])
        assert "CM90012345ABCD" not in cursor.fetchone()[0]
    row = UploadRow.objects.get(file_upload=first)
    assert row.raw_data["National ID"] == "••••ABCD"
    # Another spelling of the name, same phone and national ID: the same person.
    second = import_file(write_csv(tmp_path, [["Atim Grace N.", "0701000222", "L2", "10", "cm 9001 2345 abcd"]], header=header, name="b.csv"))
    row = UploadRow.objects.get(file_upload=second)
    assert (row.match_method, row.matched_customer) == (MatchMethod.PHONE_NATIONAL_ID, customer)
    # Same phone, a different national ID: a different person, never merged.
    third = import_file(write_csv(tmp_path, [["Grace Atim", "0701000222", "L3", "10", "CF11111111ZZZZ"]], header=header, name="c.csv"))
    row = UploadRow.objects.get(file_upload=third)
    assert row.match_method == MatchMethod.NEW and row.matched_customer != customer


@pytest.mark.django_db
def test_phone_alone_matches_only_when_it_points_at_one_person(import_file, tmp_path):
    # Two people on one family phone, entered by staff.
    Customer.objects.create(full_name="Peter Ssemanda", primary_phone="+256772000111")
    Customer.objects.create(full_name="Ruth Ssemanda", primary_phone="+256772000111")
    # "Peter S." shares the phone with two people: guessing is refused, a new customer is made.
    upload = import_file(write_csv(tmp_path, [["Peter S.", "0772000111", "L3", "10", "", "", "", "", ""]], name="x.csv"))
    assert UploadRow.objects.get(file_upload=upload).match_method == MatchMethod.NEW
    assert Customer.objects.filter(primary_phone="+256772000111").count() == 3


@pytest.mark.django_db
def test_a_loan_already_owned_by_someone_else_waits_for_review(import_file, tmp_path):
    import_file(write_csv(tmp_path, [
        ["Peter Ssemanda", "0772000111", "L1", "10", "", "", "", "", ""],
        ["Grace Atim", "0701000222", "L2", "10", "", "", "", "", ""],
    ], name="a.csv"))
    upload = import_file(write_csv(tmp_path, [["Grace Atim", "0701000222", "L1", "5", "", "", "", "", ""]], name="b.csv"))
    row = UploadRow.objects.get(file_upload=upload)
    assert (row.status, row.matched_customer, row.matched_debt) == (RowStatus.NEEDS_REVIEW, None, None)
    assert row.review.candidate_customer.full_name == "Peter Ssemanda" and row.review.kind == "loan_owner"
    assert 'column "loan_id" = "L1": the loan belongs to customer' in row.error and '"Peter Ssemanda"' in row.error
    assert Debt.objects.get(loan_id="L1").current_balance == Decimal("10")
    # A new phone for an existing loan waits for review too.
    moved = import_file(write_csv(tmp_path, [["Peter Ssemanda", "0752800900", "L1", "8", "", "", "", "", ""]], name="c.csv"))
    row = UploadRow.objects.get(file_upload=moved)
    assert (row.status, row.review.kind) == (RowStatus.NEEDS_REVIEW, "loan_owner")
    assert "reached here under another phone (+256752800900)" in row.error
    assert Debt.objects.get(loan_id="L1").current_balance == Decimal("10")


@pytest.mark.django_db
def test_results_do_not_depend_on_the_chunk_size(import_file, loan_book, settings):
    settings.UPLOAD_CHUNK_SIZE = 5
    small = import_file(loan_book("demo.csv"))
    assert (small.success_records, small.customers_created, small.debts_created) == (12, 8, 12)
    methods = [r.match_method for r in UploadRow.objects.filter(file_upload=small).order_by("line_number")]
    assert methods.count(MatchMethod.NEW) == 8


@pytest.mark.django_db
def test_oversized_and_wrong_type_files_are_refused_before_anything_is_stored(settings):
    settings.MAX_UPLOAD_SIZE = 2048
    big = io.BytesIO(b"name,phone,loan_id,amount\n" + b"A,0772123456,L1,1\n" * 200)
    with pytest.raises(UploadRejected, match="the largest loan book accepted is 2,048 bytes"):
        file_upload_create(fileobj=big, filename="big.csv", enqueue=False)
    with pytest.raises(UploadRejected, match="unsupported file type '.pdf'"):
        file_upload_create(fileobj=io.BytesIO(b"%PDF"), filename="statement.pdf", enqueue=False)
    with pytest.raises(UploadRejected, match="unsupported content type 'image/png'"):
        file_upload_create(fileobj=io.BytesIO(b"x"), filename="book.csv", content_type="image/png", enqueue=False)
    assert not FileUpload.objects.exists()


@pytest.mark.django_db
def test_creating_an_upload_queues_processing_after_commit(loan_book, django_capture_on_commit_callbacks):
    with open(loan_book("demo.csv"), "rb") as handle, django_capture_on_commit_callbacks(execute=True):
        upload = file_upload_create(fileobj=handle, filename="demo.csv")
    # Celery runs eagerly without a broker: the task has imported the file.
    upload.refresh_from_db()
    assert (upload.status, upload.debts_created) == (UploadStatus.COMPLETED, 12)
    assert upload.file.name.endswith(".csv") and upload.headers[:3] == ["name", "phone", "loan_id"]


@pytest.mark.django_db
def test_processing_a_finished_upload_again_changes_nothing(import_file, loan_book):
    upload = import_file(loan_book("demo.csv"))
    again = file_upload_process(upload_id=upload.pk)
    assert again.status == UploadStatus.COMPLETED
    assert UploadRow.objects.count() == 12 and Debt.objects.count() == 12


@pytest.mark.django_db
def test_stalled_uploads_are_queued_again_and_finish(loan_book, django_capture_on_commit_callbacks):
    with open(loan_book("demo.csv"), "rb") as handle:
        stalled = file_upload_create(fileobj=handle, filename="demo.csv", enqueue=False)
    FileUpload.objects.filter(pk=stalled.pk).update(status=UploadStatus.PROCESSING, updated_at=timezone.now() - timedelta(hours=1))
    with open(loan_book("bad_rows.csv"), "rb") as handle:
        fresh = file_upload_create(fileobj=handle, filename="bad_rows.csv", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert file_upload_resume_stalled(older_than_minutes=15) == [stalled.pk]
    stalled.refresh_from_db()
    fresh.refresh_from_db()
    assert (stalled.status, stalled.debts_created) == (UploadStatus.COMPLETED, 12)
    assert fresh.status == UploadStatus.PENDING  # recent: its own task is still coming


@pytest.mark.django_db
def test_a_finished_upload_cannot_be_resumed(import_file, loan_book):
    upload = import_file(loan_book("demo.csv"))
    with pytest.raises(UploadRejected, match="already completed"):
        file_upload_resume(upload_id=upload.pk)


@pytest.mark.django_db
def test_an_unreadable_line_fails_the_whole_upload_before_anything_is_written(import_file, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("name,phone,loan_id,amount\nA,0772123456,L1,1\nB,0772123457,L2," + "9" * 200_000 + "\n")
    upload = import_file(path)
    assert upload.status == UploadStatus.FAILED
    # A cell past FILE_LIMIT_CELL_CHARS (32,767, Excel's own limit) is refused with the limit named.
    assert upload.processing_errors == (
        "the file is over a limit: line 3 has a cell longer than 32,767 characters (the most allowed is 32,767, set by FILE_LIMIT_CELL_CHARS)"
    )
    assert not UploadRow.objects.exists() and not Debt.objects.exists()
