"""Writes for loan-book uploads.

Admin, API, Celery tasks and the ``import_loan_book`` command all come
through here:

* ``accept``: ``file_upload_create`` checks and stores a file and records
  the job; ``file_upload_resume`` puts an interrupted or failed job back on
  the queue;
* ``process``: ``file_upload_process`` imports it chunk by chunk (the Celery
  task calls it), matching each line by the rules in ``uploads.matching``;
* ``review``: ``upload_row_resolve`` applies a reviewer's decision on a line
  waiting for review (attach, new customer, reject).

This package is the write path for customers and debts that come from a loan
book; the per-row rules (validation, matching, what an update changes) live
here and in ``uploads.matching``, and nowhere else.
"""
from uploads.services.accept import (
    ALLOWED_CONTENT_TYPES,
    ALLOWED_EXTENSIONS,
    FINAL_STATUSES,
    UploadRejected,
    file_upload_check,
    file_upload_create,
    file_upload_resume,
    file_upload_resume_stalled,
)
from uploads.services.process import MAX_CHUNK_SIZE, SUCCESS_STATUSES, ImportCounts, file_upload_process, import_chunk_size
from uploads.services.review import RESOLVE_PERMISSION, SYNC_BALANCES_PERMISSION, upload_row_resolve

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "ALLOWED_EXTENSIONS",
    "FINAL_STATUSES",
    "MAX_CHUNK_SIZE",
    "SUCCESS_STATUSES",
    "ImportCounts",
    "RESOLVE_PERMISSION",
    "SYNC_BALANCES_PERMISSION",
    "UploadRejected",
    "file_upload_check",
    "file_upload_create",
    "file_upload_process",
    "file_upload_resume",
    "file_upload_resume_stalled",
    "import_chunk_size",
    "upload_row_resolve",
]
