"""Every API operation refuses anonymous users and users without a role, and
the read-only role cannot write anywhere. Table-driven over the OpenAPI
schema, so a new endpoint is covered the day it is added."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from statements.models import StatementImport
from uploads.models import FileUpload

# Endpoints that authenticate some other way than a user (documented in README).
NOT_USER_AUTHENTICATED = {
    "/api/v1/calls/webhooks/exotel/",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method, path))
    return sorted(ops)


OPERATIONS = _operations()


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _call(client, method, path):
    return getattr(client, method)(_url(path), data={}, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("method,path", [op for op in OPERATIONS if op[1] not in NOT_USER_AUTHENTICATED])
def test_anonymous_is_refused(api_client, method, path):
    assert _call(api_client, method, path).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("method,path", [op for op in OPERATIONS if op[1] not in NOT_USER_AUTHENTICATED])
def test_user_without_role_is_forbidden(outsider_client, method, path):
    assert _call(outsider_client, method, path).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path", [op for op in OPERATIONS if op[0] in WRITE_METHODS and op[1] not in NOT_USER_AUTHENTICATED]
)
def test_read_only_role_cannot_write(reader_client, method, path):
    assert _call(reader_client, method, path).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(NOT_USER_AUTHENTICATED & {p for _, p in OPERATIONS}))
def test_token_authenticated_endpoints_refuse_a_missing_token(api_client, path):
    assert api_client.post(path, data={}).status_code in (401, 403)


def test_schema_has_operations():
    # Guards the parametrized tests above against silently testing nothing.
    assert len(OPERATIONS) > 20


@pytest.mark.django_db
@pytest.mark.parametrize("route,field", [("api:upload-list", "file"), ("api:statement-list", "files")])
def test_uploads_reject_oversized_files(ops_client, settings, route, field):
    settings.MAX_UPLOAD_SIZE = 2048
    big = SimpleUploadedFile("book.csv", b"name,phone,loan_id,amount,due_date\n" + b"x" * 4096, content_type="text/csv")
    response = ops_client.post(reverse(route), {field: big}, format="multipart")
    assert response.status_code == 400
    assert "2048" in response.content.decode() or "large" in response.content.decode().lower()


@pytest.mark.django_db
@pytest.mark.parametrize("route,field", [("api:upload-list", "file"), ("api:statement-list", "files")])
def test_uploads_reject_wrong_content(ops_client, route, field):
    exe = SimpleUploadedFile("payload.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 8, content_type="application/x-msdownload")
    response = ops_client.post(reverse(route), {field: exe}, format="multipart")
    assert response.status_code == 400, response.content
    assert "payload.exe" in response.content.decode() or "content" in response.content.decode().lower()
    assert not StatementImport.objects.exists() and not FileUpload.objects.exists()
