"""Issue 14, bounded work for any input: every hostile file of the issue, small
and generated (fixtures/hostile.py), with the limits set low. Each is refused
with the limit named: a 400 at the door where the request can see it without
parsing (a gzip's trailer, a ZIP's directory), otherwise the job or upload
ends failed with the reason; nothing is half-written.

The full-size files (256 MB gzip, 200 MB shared string, 3,000 pages) and the
peak memory of a worker and a web process are bench/hostile_files.py's.
"""
from __future__ import annotations

import io
import os
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.limits import FileLimits, LimitExceeded, capped_gunzip, check_zip, storage_file_name
from debts.models import Debt
from fixtures import hostile
from statements import services as statement_services
from statements.choices import ImportJobStatus, StatementStatus
from statements.models import RawTransaction, Statement, StatementImport
from statements.services._inbox_folder import _unique_target
from uploads.choices import UploadStatus
from uploads.models import FileUpload, UploadRow
from uploads.services import (
    UploadRejected,
    file_upload_check,
    file_upload_create,
    file_upload_process,
    file_upload_resume,
    file_upload_resume_stalled,
)

pytestmark = pytest.mark.django_db
LONG_NAME = ("Выписка по счёту клиента " * 8)[:196] + ".csv"  # 200 characters, 365 bytes of UTF-8
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _post_statement(client, name, data, content_type="application/octet-stream"):
    return client.post("/api/v1/statements/", {"files": [SimpleUploadedFile(name, data, content_type=content_type)]}, format="multipart")


def _run_statement(client, name, data):
    """Upload through the API (202) and run the job as the worker would."""
    response = _post_statement(client, name, data)
    assert response.status_code == 202, response.content
    return statement_services.statement_import_job_run(response.json()["id"])


def _failed_statement(job):
    assert job.status == ImportJobStatus.FAILED and job.failed_count == 1
    statement = Statement.objects.get()
    assert statement.status == StatementStatus.IMPORT_FAILED
    assert not RawTransaction.objects.exists()  # nothing half-written
    return statement


# --------------------------------------------------------------------------- statements: gzip


def test_a_gzip_bomb_statement_is_a_400_at_the_api_door(analyst_client, settings):
    settings.FILE_LIMIT_UNCOMPRESSED_BYTES = 64 * 1024
    response = _post_statement(analyst_client, "bomb.csv.gz", hostile.gzip_bomb(2 << 20))
    assert response.status_code == 400
    message = response.json()["files"][0]
    assert message.startswith("bomb.csv.gz: the file is over a limit: the gzip file says it decompresses to 2,097,")
    assert "set by FILE_LIMIT_UNCOMPRESSED_BYTES" in message
    assert not StatementImport.objects.exists()


def test_a_gzip_bomb_with_a_forged_trailer_fails_in_the_worker_naming_the_limit(analyst_client, settings):
    settings.FILE_LIMIT_UNCOMPRESSED_BYTES = 64 * 1024
    settings.FILE_LIMIT_ROWS = 10**6  # the byte cap, not the row limit, stops this one
    job = _run_statement(analyst_client, "bomb.csv.gz", hostile.gzip_bomb(2 << 20, forged_size=1000))
    statement = _failed_statement(job)
    assert statement.failure_reason == (
        "the file is over a limit: the gzip file decompresses to more than 65,536 bytes "
        "(the most allowed is 65,536, set by FILE_LIMIT_UNCOMPRESSED_BYTES) [limit_exceeded]"
    )
    assert job.results[0]["error"] == statement.failure_reason


def test_gzip_is_decompressed_as_a_stream_within_the_cap():
    limits = FileLimits(uncompressed_bytes=10 * 1024 * 1024)
    data = hostile.gzip_bomb(30 * 1024 * 1024, forged_size=1)
    tracemalloc.start()
    try:
        stream = capped_gunzip(data, limits)
        with pytest.raises(LimitExceeded, match="FILE_LIMIT_UNCOMPRESSED_BYTES"):
            while stream.read(64 * 1024):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024  # blocks, never the 10 MB it reached


# --------------------------------------------------------------------------- statements: CSV rows, columns, cells


@pytest.mark.parametrize(
    "setting,value,data,reason",
    [
        ("FILE_LIMIT_ROWS", 20, hostile.airtel_csv(50), "the file has more than 20 rows (the most allowed is 20, set by FILE_LIMIT_ROWS)"),
        (
            "FILE_LIMIT_COLUMNS", 30, hostile.airtel_csv(3, line="1," * 40 + "\n"),
            "row 7 has 41 cells (the most allowed is 30, set by FILE_LIMIT_COLUMNS)",
        ),
        (
            "FILE_LIMIT_CELL_CHARS", 1000, hostile.airtel_csv(1, line='1,"' + "x" * 5000 + '"\n'),
            "a CSV cell is longer than the most allowed (field larger than field limit (1000); set by FILE_LIMIT_CELL_CHARS)",
        ),
    ],
)
def test_a_csv_statement_past_a_row_column_or_cell_limit_fails_naming_it(analyst_client, settings, setting, value, data, reason):
    setattr(settings, setting, value)
    statement = _failed_statement(_run_statement(analyst_client, "export.csv", data))
    assert reason in statement.failure_reason


# --------------------------------------------------------------------------- statements: XLSX and PDF


@pytest.mark.parametrize(
    "setting,value,data,reason",
    [
        ("FILE_LIMIT_SHARED_STRINGS_BYTES", 50_000, hostile.xlsx([("Date / Time",)], big_string_chars=200_000), "the workbook's shared strings take 200,"),
        ("FILE_LIMIT_SHEETS", 3, hostile.xlsx([("Date / Time",)], sheets=5), "the workbook has 5 sheets (the most allowed is 3, set by FILE_LIMIT_SHEETS)"),
        ("FILE_LIMIT_ZIP_MEMBERS", 10, hostile.xlsx([("Date / Time",)], extra_parts=20), "the ZIP file holds 26 parts (the most allowed is 10"),
        ("FILE_LIMIT_COMPRESSION_RATIO", 50, hostile.xlsx([("x",)], big_string_chars=3 << 20), "decompresses 978 times (3,145,902 bytes from 3,215)"),
        ("FILE_LIMIT_UNCOMPRESSED_BYTES", 100_000, hostile.xlsx([("x",)], big_string_chars=200_000), "the ZIP file decompresses to 20"),
    ],
)
def test_an_xlsx_statement_past_a_limit_is_a_400_at_the_api_and_admin_doors(analyst_client, client, ops_admin, settings, setting, value, data, reason):
    setattr(settings, setting, value)
    response = _post_statement(analyst_client, "mtn.xlsx", data, XLSX_TYPE)
    assert response.status_code == 400
    assert reason in response.json()["files"][0] and setting in response.json()["files"][0]
    client.force_login(ops_admin)
    page = client.post("/admin/statements/statementimport/add/", {"files": [SimpleUploadedFile("mtn.xlsx", data, XLSX_TYPE)]})
    assert page.status_code == 200 and reason in page.content.decode().replace("&#x27;", "'")
    assert not StatementImport.objects.exists()


def test_an_xlsx_statement_past_the_row_limit_fails_in_the_worker(analyst_client, settings):
    settings.FILE_LIMIT_ROWS = 5
    rows = [("Date / Time", "Amount")] + [("2025-01-01", i) for i in range(10)]
    statement = _failed_statement(_run_statement(analyst_client, "mtn.xlsx", hostile.xlsx(rows)))
    assert "the sheet has more than 5 rows (the most allowed is 5, set by FILE_LIMIT_ROWS)" in statement.failure_reason


def test_a_pdf_past_the_page_limit_fails_before_a_page_is_read(analyst_client, settings):
    import random  # noqa: PLC0415 - only this test generates a PDF
    from datetime import datetime  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    from fixtures.statements import generate as gen  # noqa: PLC0415

    ledger = gen.make_airtel_ledger(random.Random(14), 120, start=datetime(2025, 1, 1, 7), opening=Decimal(500_000), acc="706015809", fmt=1)
    data = gen.write_pdf_table(ledger, fmt=1, info=gen.F1_META, rows_per_page=38)
    settings.FILE_LIMIT_PDF_PAGES = 2
    statement = _failed_statement(_run_statement(analyst_client, "airtel.pdf", data))
    assert statement.failure_reason == (
        "the file is over a limit: the PDF has 4 pages (the most allowed is 2, set by FILE_LIMIT_PDF_PAGES) [limit_exceeded]"
    )
    settings.FILE_LIMIT_PDF_PAGES = 4  # the same file within the limit imports
    Statement.objects.all().delete()
    job = _run_statement(analyst_client, "airtel-again.pdf", data)
    assert job.status == ImportJobStatus.COMPLETED and RawTransaction.objects.count() == 120


def test_a_file_in_the_inbox_or_given_to_the_command_is_held_to_max_upload_size(tmp_path, settings):
    settings.MAX_UPLOAD_SIZE = 1024
    path = tmp_path / "big.csv"
    path.write_bytes(hostile.airtel_csv(100))
    job = statement_services.statement_import_job_create(files=[path], trigger="command", enqueue=False)
    job = statement_services.statement_import_job_run(job.pk)
    assert job.status == ImportJobStatus.FAILED
    assert "big.csv is 12,405 bytes" in job.results[0]["error"] and "set by MAX_UPLOAD_SIZE" in job.results[0]["error"]
    assert not Statement.objects.exists()


# --------------------------------------------------------------------------- loan books


def test_an_xlsx_bomb_loan_book_is_a_400_and_the_request_never_reads_it_whole(ops_client, settings):
    bomb = hostile.xlsx([hostile.LOAN_BOOK_HEADER, ("A", "0772000001", "L1", 5)], big_string_chars=200 << 20)  # the 205 KB file
    assert len(bomb) < 300_000
    response = ops_client.post("/api/v1/uploads/", {"file": SimpleUploadedFile("book.xlsx", bomb, XLSX_TYPE)}, format="multipart")
    assert response.status_code == 400
    assert "FILE_LIMIT_COMPRESSION_RATIO" in response.json()["file"][0]
    settings.FILE_LIMIT_COMPRESSION_RATIO = 10_000  # the byte limit on shared strings stops it too
    response = ops_client.post("/api/v1/uploads/", {"file": SimpleUploadedFile("book.xlsx", bomb, XLSX_TYPE)}, format="multipart")
    assert response.status_code == 400
    assert "the workbook's shared strings take 209,715," in response.json()["file"][0]
    assert "set by FILE_LIMIT_SHARED_STRINGS_BYTES" in response.json()["file"][0]
    assert not FileUpload.objects.exists()


def test_the_loan_book_door_reads_the_header_only(settings):
    # 30 MB in one shared string, within every limit: the request finds the
    # header in the first bytes and leaves the rest to the worker.
    book = hostile.xlsx([hostile.LOAN_BOOK_HEADER, ("A", "0772000001", "L1", 5)], big_string_chars=30 << 20, compresslevel=1)
    settings.FILE_LIMIT_COMPRESSION_RATIO = 10_000
    tracemalloc.start()
    try:
        shape = file_upload_check(fileobj=io.BytesIO(book), filename="book.xlsx", content_type=XLSX_TYPE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert shape.headers == list(hostile.LOAN_BOOK_HEADER)
    assert peak < 8 * 1024 * 1024  # openpyxl would hold the 30 MB string
    settings.FILE_LIMIT_CELL_CHARS = 100  # a long cell in the first record is seen at the door
    with pytest.raises(UploadRejected, match="line 2 has a cell longer than 100 characters .* FILE_LIMIT_CELL_CHARS"):
        file_upload_check(fileobj=io.BytesIO(hostile.loan_book_csv(1, cell="x" * 500)), filename="book.csv", content_type="text/csv")
    wrong = hostile.xlsx([("name", "phone", "amount"), ("A", "0772000001", 5)])
    with pytest.raises(UploadRejected, match=r"missing required column\(s\): loan_id"):
        file_upload_check(fileobj=io.BytesIO(wrong), filename="book.xlsx", content_type=XLSX_TYPE)


@pytest.mark.parametrize(
    "setting,value,data,name,reason",
    [
        ("FILE_LIMIT_LOAN_BOOK_ROWS", 5, hostile.loan_book_csv(10), "book.csv", "the file has more than 5 rows (the most allowed is 5, set by FILE_LIMIT_LOAN_BOOK_ROWS)"),
        ("FILE_LIMIT_CELL_CHARS", 100, hostile.loan_book_csv(3, cell="x" * 500), "book.csv", "line 4 has a cell longer than 100 characters"),
        ("FILE_LIMIT_COLUMNS", 10, hostile.loan_book_csv(3) + b"a," * 20 + b"\n", "book.csv", "line 5 has 21 cells (the most allowed is 10"),
        (
            "FILE_LIMIT_CELL_CHARS", 100, hostile.xlsx([hostile.LOAN_BOOK_HEADER, ("A", "0772000001", "L1", 5), ("y" * 500, "0772000002", "L2", 6)]),
            "book.xlsx", "a cell on line 3 holds 500 characters (the most allowed is 100, set by FILE_LIMIT_CELL_CHARS)",
        ),
        (
            "FILE_LIMIT_LOAN_BOOK_ROWS", 3, hostile.xlsx([hostile.LOAN_BOOK_HEADER] + [(f"B{i}", f"07720000{i:02d}", f"L{i}", 5) for i in range(5)]),
            "book.xlsx", "set by FILE_LIMIT_LOAN_BOOK_ROWS",
        ),
    ],
)
def test_a_loan_book_past_a_limit_fails_in_the_worker_before_a_line_is_written(settings, setting, value, data, name, reason):
    setattr(settings, setting, value)
    upload = file_upload_create(fileobj=io.BytesIO(data), filename=name, content_type="", enqueue=False)
    upload = file_upload_process(upload_id=upload.pk)
    assert upload.status == UploadStatus.FAILED
    assert reason in upload.processing_errors and setting in upload.processing_errors
    assert not UploadRow.objects.exists() and not Debt.objects.exists()


# --------------------------------------------------------------------------- bounded attempts


def test_a_statement_job_that_keeps_dying_is_failed_after_job_max_attempts(analyst_client, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    response = _post_statement(analyst_client, "export.csv", hostile.airtel_csv(3))
    job_id = response.json()["id"]
    # Two workers started it and died (status left running, no file recorded).
    StatementImport.objects.filter(pk=job_id).update(attempts=2, status=ImportJobStatus.RUNNING, updated_at=timezone.now() - timedelta(hours=1))
    assert statement_services.statement_import_jobs_requeue_stalled() == []
    job = StatementImport.objects.get(pk=job_id)
    assert job.status == ImportJobStatus.FAILED and job.error.startswith("Stopped after 2 attempt(s) (JOB_MAX_ATTEMPTS)")
    assert not Statement.objects.exists()
    # A redelivered message does not run it either.
    StatementImport.objects.filter(pk=job_id).update(status=ImportJobStatus.QUEUED)
    assert statement_services.statement_import_job_run(job_id).status == ImportJobStatus.FAILED
    assert not Statement.objects.exists()
    # A person's "run again" gives it a fresh set of attempts.
    assert statement_services.statement_import_jobs_requeue(job_ids=[job_id]) == [job_id]
    job = statement_services.statement_import_job_run(job_id)
    assert (job.status, job.attempts, job.imported_count) == (ImportJobStatus.COMPLETED, 1, 1)


def test_a_stalled_job_is_requeued_while_it_has_attempts_left(analyst_client, settings, django_capture_on_commit_callbacks):
    settings.JOB_MAX_ATTEMPTS = 3
    job_id = _post_statement(analyst_client, "export.csv", hostile.airtel_csv(3)).json()["id"]
    StatementImport.objects.filter(pk=job_id).update(attempts=1, status=ImportJobStatus.RUNNING, updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert statement_services.statement_import_jobs_requeue_stalled() == [job_id]
    assert len(callbacks) == 1
    assert StatementImport.objects.get(pk=job_id).status == ImportJobStatus.QUEUED


def test_an_upload_that_keeps_dying_is_failed_after_job_max_attempts(settings, django_capture_on_commit_callbacks):
    settings.JOB_MAX_ATTEMPTS = 2
    upload = file_upload_create(fileobj=io.BytesIO(hostile.loan_book_csv(3)), filename="book.csv", content_type="text/csv", enqueue=False)
    FileUpload.objects.filter(pk=upload.pk).update(attempts=2, status=UploadStatus.PROCESSING, updated_at=timezone.now() - timedelta(hours=1))
    assert file_upload_resume_stalled() == []
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED and upload.processing_errors.startswith("Stopped after 2 attempt(s) (JOB_MAX_ATTEMPTS)")
    # A redelivered task does not run it.
    assert file_upload_process(upload_id=upload.pk).status == UploadStatus.FAILED
    assert not UploadRow.objects.exists()
    # A person's "resume" gives it a fresh set of attempts.
    with django_capture_on_commit_callbacks(execute=False):
        file_upload_resume(upload_id=upload.pk)
    upload = file_upload_process(upload_id=upload.pk)
    assert (upload.status, upload.attempts, upload.success_records) == (UploadStatus.COMPLETED, 1, 3)


# --------------------------------------------------------------------------- long multibyte file names


def test_storage_file_name_cuts_bytes_between_characters_and_keeps_the_extension():
    assert len(LONG_NAME) == 200 and len(LONG_NAME.encode()) > 255
    short = storage_file_name(LONG_NAME, 120)
    assert len(short.encode()) <= 120 and short.endswith(".csv") and LONG_NAME.startswith(short[:-4])
    assert storage_file_name("../../etc/passwd", 120) == "passwd"
    assert storage_file_name("a.pdf", 120) == "a.pdf"


def test_a_long_multibyte_statement_name_is_stored_short_and_shown_whole(analyst_client, client, ops_admin, settings):
    job = _run_statement(analyst_client, LONG_NAME, hostile.airtel_csv(3))
    assert job.status == ImportJobStatus.COMPLETED
    statement = Statement.objects.get()
    assert statement.file_name == LONG_NAME and job.results[0]["file_name"] == LONG_NAME
    assert len(os.path.basename(statement.file.name).encode()) <= settings.FILE_NAME_MAX_BYTES + 8  # + storage's clash suffix
    client.force_login(ops_admin)
    response = client.post("/admin/statements/statementimport/add/", {"files": [SimpleUploadedFile(LONG_NAME, hostile.airtel_csv(4))]})
    assert response.status_code == 302
    staged = StatementImport.objects.latest("pk").results[0]
    assert staged["file_name"] == LONG_NAME and len(Path(staged["storage_name"]).name.encode()) <= settings.FILE_NAME_MAX_BYTES + 8


def test_a_long_multibyte_loan_book_name_is_stored_short_and_shown_whole(ops_client, client, ops_admin, settings):
    response = ops_client.post("/api/v1/uploads/", {"file": SimpleUploadedFile(LONG_NAME, hostile.loan_book_csv(2), "text/csv")}, format="multipart")
    assert response.status_code == 202, response.content
    upload = FileUpload.objects.get(pk=response.json()["id"])
    assert upload.filename == LONG_NAME and response.json()["filename"] == LONG_NAME
    assert len(os.path.basename(upload.file.name).encode()) <= settings.FILE_NAME_MAX_BYTES + 8
    client.force_login(ops_admin)
    response = client.post("/admin/uploads/fileupload/add/", {"file": SimpleUploadedFile(LONG_NAME, hostile.loan_book_csv(2), "text/csv"), "phone_region": "UG"})
    assert response.status_code == 302 and FileUpload.objects.latest("pk").filename == LONG_NAME


def test_an_inbox_file_with_a_long_name_moves_to_done_even_on_a_clash(tmp_path, settings):
    name = "é" * 120 + ".csv"  # 244 bytes: fits the file system, not with the clash stamp added
    (tmp_path / name).write_bytes(b"x")
    target = _unique_target(tmp_path, name)
    target.write_bytes(b"y")  # no ENAMETOOLONG
    assert target.name.endswith(".csv") and len(target.name.encode()) <= 255


def test_check_zip_refuses_from_the_directory_alone():
    data = hostile.xlsx([("a",)], extra_parts=50)
    with pytest.raises(LimitExceeded, match="FILE_LIMIT_ZIP_MEMBERS"):
        check_zip(io.BytesIO(data), FileLimits(zip_members=20))
    assert len(check_zip(io.BytesIO(data), FileLimits())) == 56


def test_a_large_upload_with_a_long_multibyte_extension_is_not_a_500(analyst_client):
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE Django spools the upload to a temporary
    # file named after the upload's extension: 198 Cyrillic letters of it.
    name = "statement." + "ж" * 190
    data = hostile.airtel_csv(45_000)
    assert len(data) > 5 * 1024 * 1024
    response = _post_statement(analyst_client, name, data)
    assert response.status_code == 202, response.content
    assert StatementImport.objects.get().results[0]["file_name"] == name


def _forge_declared_size(data: bytes, member: str, size: int) -> bytes:
    """``data`` (a ZIP) with ``member``'s declared uncompressed size set to ``size``, in both its headers."""
    import struct  # noqa: PLC0415 - only this helper forges headers
    import zipfile  # noqa: PLC0415

    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    forged = bytearray(data)
    struct.pack_into("<I", forged, info.header_offset + 22, size)
    central = forged.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", forged, central + 28)[0]
        if forged[central + 46 : central + 46 + name_length].decode() == member:
            struct.pack_into("<I", forged, central + 24, size)
            break
        central = forged.find(b"PK\x01\x02", central + 4)
    return bytes(forged)


def test_an_xlsx_part_that_lies_about_its_size_is_read_no_further_than_it_says(analyst_client, settings):
    # Declared 1 KB, 20 MB in fact: the directory check passes; the worker
    # inflates each part as a stream before openpyxl reads it.
    data = _forge_declared_size(hostile.xlsx([("Date / Time",)], big_string_chars=20 << 20), "xl/sharedStrings.xml", 1000)
    tracemalloc.start()
    try:
        statement = _failed_statement(_run_statement(analyst_client, "mtn.xlsx", data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert statement.failure_reason == (
        "the file is over a limit: the part 'xl/sharedStrings.xml' decompresses to more than the 1,000 bytes it declares "
        "(the most allowed is 67,108,864, set by FILE_LIMIT_UNCOMPRESSED_BYTES) [limit_exceeded]"
    )
    assert peak < 10 * 1024 * 1024  # openpyxl's read() would have inflated all 20 MB at once


def test_a_loan_book_xlsx_part_that_lies_about_its_size_fails_in_the_worker(settings):
    rows = [hostile.LOAN_BOOK_HEADER, ("A", "0772000001", "L1", 5)]
    data = _forge_declared_size(hostile.xlsx(rows, big_string_chars=20 << 20), "xl/sharedStrings.xml", 1000)
    # The door reads the header by blocks: the part ends at its declared size and fails its CRC.
    with pytest.raises(UploadRejected, match="Bad CRC-32"):
        file_upload_create(fileobj=io.BytesIO(data), filename="book.xlsx", content_type=XLSX_TYPE, enqueue=False)
    # Past the door (a file stored before, a resumed upload), the worker refuses it before openpyxl reads it.
    upload = FileUpload(filename="book.xlsx")
    upload.file.save("book.xlsx", ContentFile(data), save=True)
    upload = file_upload_process(upload_id=upload.pk)
    assert upload.status == UploadStatus.FAILED
    assert "decompresses to more than the 1,000 bytes it declares" in upload.processing_errors
    assert not UploadRow.objects.exists()
