"""POST /api/v1/uploads/ (202), progress, and the rows of an upload filtered by status."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from uploads.choices import RowStatus, UploadStatus
from uploads.models import FileUpload


def _file(loan_book, name="bad_rows.csv", content_type="text/csv"):
    return SimpleUploadedFile(name, loan_book(name).read_bytes(), content_type=content_type)


@pytest.mark.django_db
def test_agent_uploads_a_loan_book_and_follows_it_to_the_failed_rows(agent_client, agent, loan_book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post("/api/v1/uploads/", {"file": _file(loan_book)}, format="multipart")
    assert response.status_code == 202, response.content
    upload_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/uploads/{upload_id}/"
    upload = FileUpload.objects.get(pk=upload_id)
    assert upload.uploaded_by == agent and upload.filename == "bad_rows.csv"

    # Queued on commit, run eagerly (no broker in tests): processed by now.
    detail = agent_client.get(f"/api/v1/uploads/{upload_id}/").json()
    assert detail["status"] == UploadStatus.COMPLETED_WITH_ERRORS
    assert (detail["total_records"], detail["success_records"], detail["failed_records"], detail["progress_percent"]) == (8, 2, 6, 100)

    failed = agent_client.get(f"/api/v1/uploads/{upload_id}/rows/?status=failed").json()
    assert failed["count"] == 6
    assert [r["line_number"] for r in failed["results"]] == [3, 4, 5, 6, 7, 8]
    assert failed["results"][0]["error"] == 'line 3, column "phone" = "12ab": is not a valid phone number for region UG'
    assert failed["results"][0]["raw_data"]["phone"] == "12ab"
    same = agent_client.get(f"/api/v1/upload-rows/?file_upload={upload_id}&status={RowStatus.FAILED}").json()
    assert same["count"] == 6


@pytest.mark.django_db
def test_rows_list_costs_a_fixed_number_of_queries(ops_client, import_file, loan_book):
    upload = import_file(loan_book("demo.csv"))
    with CaptureQueriesContext(connection) as queries:
        response = ops_client.get(f"/api/v1/uploads/{upload.pk}/rows/")
    assert response.status_code == 200 and response.json()["count"] == 12
    assert len(queries) <= 6


@pytest.mark.django_db
def test_rows_of_an_unknown_upload_is_404(ops_client):
    assert ops_client.get("/api/v1/uploads/999999/rows/").status_code == 404


@pytest.mark.django_db
def test_oversized_file_is_a_clear_400(ops_client, loan_book, settings):
    settings.MAX_UPLOAD_SIZE = 1024
    response = ops_client.post("/api/v1/uploads/", {"file": _file(loan_book, "demo.csv")}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["'demo.csv' is 1,926 bytes; the largest loan book accepted is 1,024 bytes"]}
    assert not FileUpload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,body,content_type,message",
    [
        ("statement.pdf", b"%PDF-1.7", "application/pdf", "unsupported file type '.pdf'"),
        ("book.csv", b"name,phone\n", "image/png", "unsupported content type 'image/png'"),
        ("book.csv", b"name,phone,amount\nA,1,2\n", "text/csv", "missing required column(s): loan_id"),
    ],
)
def test_wrong_files_are_a_clear_400(ops_client, name, body, content_type, message):
    response = ops_client.post("/api/v1/uploads/", {"file": SimpleUploadedFile(name, body, content_type=content_type)}, format="multipart")
    assert response.status_code == 400
    assert message in response.json()["file"][0]


@pytest.mark.django_db
def test_missing_file_is_a_400(ops_client):
    response = ops_client.post("/api/v1/uploads/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


@pytest.mark.django_db
def test_read_only_user_sees_uploads_but_cannot_upload(reader_client, loan_book):
    assert reader_client.get("/api/v1/uploads/").status_code == 200
    response = reader_client.post("/api/v1/uploads/", {"file": _file(loan_book)}, format="multipart")
    assert response.status_code == 403
    assert not FileUpload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("junk", ["null,null", "abc", "-1", "1.5"])
def test_rows_of_a_malformed_upload_id_is_404_not_a_crash(ops_client, junk):
    assert ops_client.get(f"/api/v1/uploads/{junk}/rows/").status_code == 404
