"""Fixtures for the uploads tests: the sample loan books and an import helper."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from uploads.services import file_upload_create, file_upload_process

LOAN_BOOKS = Path(settings.BASE_DIR) / "fixtures" / "loan_books"


@pytest.fixture
def loan_book():
    return lambda name: LOAN_BOOKS / name


@pytest.fixture
def import_file(db):
    """Upload and process a file through the services (as the Celery task would)."""

    def _import(path, *, filename=None, user=None, **kwargs):
        # Without a user, as the import_loan_book command run on the server:
        # lines may change known loans' balances.
        kwargs.setdefault("may_sync_balances", True if user is None else None)
        with open(path, "rb") as handle:
            upload = file_upload_create(fileobj=handle, filename=filename or Path(path).name, uploaded_by=user, enqueue=False, **kwargs)
        return file_upload_process(upload_id=upload.pk)

    return _import
