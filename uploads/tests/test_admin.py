"""The admin: upload form, progress page (polled by htmx), failed rows as CSV."""
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from uploads.choices import UploadStatus
from uploads.models import FileUpload


@pytest.fixture
def ops_browser(client, ops_admin):
    client.force_login(ops_admin)
    return client


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
def test_upload_form_imports_and_redirects_to_progress(ops_browser, loan_book, django_capture_on_commit_callbacks):
    page = ops_browser.get("/admin/uploads/fileupload/add/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    # The task is queued on commit; Celery runs it eagerly without a broker.
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_browser.post(
            "/admin/uploads/fileupload/add/",
            {"file": SimpleUploadedFile("bad_rows.csv", loan_book("bad_rows.csv").read_bytes(), "text/csv"), "phone_region": "UG"},
        )
    upload = FileUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/uploads/fileupload/{upload.pk}/progress/"
    progress = ops_browser.get(response["Location"])
    assert progress.status_code == 200
    assert b"htmx" in progress.content
    fragment = ops_browser.get(f"/admin/uploads/fileupload/{upload.pk}/progress/fragment/")
    text = fragment.content.decode()
    assert "Completed with errors" in text and "8 of 8 lines" in text
    assert "hx-trigger" not in text  # finished: polling stops
    assert f"/admin/uploads/fileupload/{upload.pk}/failed-rows.csv" in text


@pytest.mark.django_db
def test_progress_keeps_polling_while_processing(ops_browser, ops_admin):
    upload = FileUpload.objects.create(filename="x.csv", status=UploadStatus.PROCESSING, total_records=200, processed_records=50)
    text = ops_browser.get(f"/admin/uploads/fileupload/{upload.pk}/progress/fragment/").content.decode()
    assert 'hx-trigger="every 1s"' in text and "50 of 200 lines (25%)" in text


@pytest.mark.django_db
def test_upload_form_shows_why_a_file_is_refused(ops_browser):
    response = ops_browser.post(
        "/admin/uploads/fileupload/add/", {"file": SimpleUploadedFile("x.csv", b"name,phone\nA,1\n", "text/csv")}
    )
    assert response.status_code == 200
    assert "missing required column(s): loan_id, amount" in response.content.decode()
    assert not FileUpload.objects.exists()


@pytest.mark.django_db
def test_failed_rows_download_has_the_reason_and_the_line_as_uploaded(ops_browser, import_file, loan_book):
    upload = import_file(loan_book("bad_rows.csv"))
    response = ops_browser.get(f"/admin/uploads/fileupload/{upload.pk}/failed-rows.csv")
    assert response["Content-Type"].startswith("text/csv")
    table = _csv(response)
    assert table[0][:5] == ["upload_id", "filename", "line_number", "error", "name"]
    assert len(table) == 7
    assert table[1][2:6] == ["3", 'line 3, column "phone" = "12ab": is not a valid phone number for region UG', "Tom Wasswa", "12ab"]
    # A negative amount is written so a spreadsheet does not treat it as a formula.
    assert table[6][3].startswith("line 8") and table[6][4 + 3] == "-5000"


@pytest.mark.django_db
def test_download_action_exports_failed_rows_of_selected_uploads(ops_browser, import_file, loan_book):
    upload = import_file(loan_book("bad_rows.csv"))
    response = ops_browser.post(
        "/admin/uploads/fileupload/", {"action": "download_failed_rows", "_selected_action": [upload.pk]}
    )
    assert len(_csv(response)) == 7


@pytest.mark.django_db
def test_agent_without_view_rights_elsewhere_still_cannot_reach_other_uploads_pages_when_logged_out(client, import_file, loan_book):
    upload = import_file(loan_book("demo.csv"))
    response = client.get(f"/admin/uploads/fileupload/{upload.pk}/failed-rows.csv")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_changelist_and_change_page_show_progress_and_links(ops_browser, import_file, loan_book):
    upload = import_file(loan_book("bad_rows.csv"))
    changelist = ops_browser.get("/admin/uploads/fileupload/").content.decode()
    assert f"/admin/uploads/fileupload/{upload.pk}/progress/" in changelist and "100%" in changelist
    change = ops_browser.get(f"/admin/uploads/fileupload/{upload.pk}/change/").content.decode()
    assert f"?file_upload__id__exact={upload.pk}&amp;status__exact=failed" in change
    rows = ops_browser.get(f"/admin/uploads/uploadrow/?file_upload__id__exact={upload.pk}&status__exact=failed")
    assert rows.status_code == 200 and "12ab" in rows.content.decode()


@pytest.mark.django_db
def test_reader_role_cannot_open_the_upload_form(client, reader):
    reader.is_staff = True
    reader.save()
    client.force_login(reader)
    assert client.get("/admin/uploads/fileupload/add/").status_code == 403


@pytest.mark.django_db
def test_a_lines_match_cannot_be_repointed_or_deleted_in_the_admin(ops_browser, import_file, loan_book):
    upload = import_file(loan_book("bad_rows.csv"))
    row = upload.rows.exclude(matched_customer=None).first()
    customer_before, debt_before = row.matched_customer_id, row.matched_debt_id
    other = upload.rows.exclude(matched_customer_id=customer_before).exclude(matched_customer=None).first()
    page = ops_browser.get(f"/admin/uploads/uploadrow/{row.pk}/change/")
    assert page.status_code == 200 and 'name="matched_customer"' not in page.content.decode()
    refused = ops_browser.post(
        f"/admin/uploads/uploadrow/{row.pk}/change/",
        {"matched_customer": other.matched_customer_id if other else 999, "file_upload": upload.pk, "line_number": 1},
    )
    assert refused.status_code == 403
    assert ops_browser.post(f"/admin/uploads/uploadrow/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ops_browser.get("/admin/uploads/uploadrow/add/").status_code == 403
    row.refresh_from_db()
    assert (row.matched_customer_id, row.matched_debt_id) == (customer_before, debt_before)
