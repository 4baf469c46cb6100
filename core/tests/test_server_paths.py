"""API responses never show server paths: a statement import's per-file
results show the original file name only, and error texts lose the server's
folders, for every role that can read them."""
import pytest
from django.conf import settings

from core.paths import hide_server_paths
from statements.models import StatementImport
from uploads.models import FileUpload

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(db):
    media = str(settings.MEDIA_ROOT)
    inbox = str(settings.STATEMENT_INBOX_DIR)
    return StatementImport.objects.create(
        trigger="inbox",
        total_files=2,
        processed_files=2,
        error=f"could not read {media}/statements/tmp/job-1/0-agent.pdf",
        results=[
            {
                "index": 0, "file_name": "agent.pdf", "path": f"{inbox}/done/agent.pdf", "moved_to": f"{inbox}/done/agent.pdf",
                "outcome": "imported", "statement_id": None, "error": "",
            },
            {
                "index": 1, "file_name": "broken.csv", "storage_name": "statements/tmp/job-1/1-broken.csv", "outcome": "failed",
                "error": f"[Errno 2] No such file or directory: '{media}/statements/tmp/job-1/1-broken.csv'",
            },
        ],
    )


@pytest.mark.parametrize("who", ["reader_client", "analyst_client", "ops_client"])
def test_import_job_results_show_file_names_only(request, job, who):
    client = request.getfixturevalue(who)
    response = client.get(f"/api/v1/statement-imports/{job.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    for secret in (str(settings.MEDIA_ROOT), str(settings.STATEMENT_INBOX_DIR), str(settings.BASE_DIR), "statements/tmp/job-1"):
        assert secret not in text
    results = response.json()["results"]
    assert [r["file_name"] for r in results] == ["agent.pdf", "broken.csv"]
    assert not {"path", "moved_to", "storage_name"} & (set(results[0]) | set(results[1]))
    assert "1-broken.csv" in results[1]["error"]
    assert response.json()["error"] == "could not read 0-agent.pdf"


def test_upload_errors_lose_server_paths(reader_client):
    upload = FileUpload.objects.create(
        filename="book.xlsx", status="failed", processing_errors=f"cannot open {settings.MEDIA_ROOT}/uploads/2026/12/book.xlsx"
    )
    body = reader_client.get(f"/api/v1/uploads/{upload.pk}/").json()
    assert body["processing_errors"] == "cannot open book.xlsx"
    assert "file" not in body


def test_text_without_server_paths_is_unchanged():
    assert hide_server_paths("Row 4: amount/currency missing; see https://example.com/a/b") == (
        "Row 4: amount/currency missing; see https://example.com/a/b"
    )
    assert hide_server_paths(None) is None
