"""Writes for statements.

* ``storage``: store a statement file through the engine (or only check it),
  and rebuild a stored statement's verification from its raw rows;
* ``jobs``: import jobs, the way every file gets in (admin, API, inbox,
  ``import_statements``), their re-queue, and re-verification in bulk;
* ``inbox``: the scheduled scan of the inbox folder;
* ``review``: a person's review decision beside the engine's verdict;
* ``counterparties``: the summary's top payer and payee, and the backfill of
  counterparties for statements processed before they were kept.

Callers import the service functions from here.
"""
from statements.services._job_file import (
    DUPLICATE,
    FAILED,
    IMPORTED,
    PENDING,
    FileOutcome,
    statement_file_check,
    statement_import_job_file,
    statement_request_hints,
)
from statements.services.counterparties import BackfillSummary, counterparties_backfill, summary_top_fields
from statements.services.inbox import InboxScan, statement_inbox_scan
from statements.services.jobs import (
    ImportJobError,
    pending_indexes,
    statement_import_job_create,
    statement_import_job_finish,
    statement_import_job_record,
    statement_import_job_record_many,
    statement_import_job_run,
    statement_import_job_start,
    statement_import_jobs_requeue,
    statement_import_jobs_requeue_stalled,
    statement_provider_hint,
    statement_upload_over_limit,
    statements_reverify,
    statements_reverify_enqueue,
)
from statements.services.review import REVIEW_PERMISSION, statement_review_record
from statements.services.storage import ImportResult, statement_check_file, statement_import_file, statement_reprocess

__all__ = [
    "BackfillSummary",
    "counterparties_backfill",
    "summary_top_fields",
    "DUPLICATE",
    "FAILED",
    "IMPORTED",
    "PENDING",
    "REVIEW_PERMISSION",
    "FileOutcome",
    "ImportJobError",
    "ImportResult",
    "InboxScan",
    "pending_indexes",
    "statement_check_file",
    "statement_file_check",
    "statement_import_file",
    "statement_import_job_create",
    "statement_provider_hint",
    "statement_import_job_file",
    "statement_import_job_finish",
    "statement_import_job_record",
    "statement_import_job_record_many",
    "statement_import_job_run",
    "statement_import_job_start",
    "statement_import_jobs_requeue",
    "statement_import_jobs_requeue_stalled",
    "statement_upload_over_limit",
    "statement_inbox_scan",
    "statement_reprocess",
    "statement_request_hints",
    "statement_review_record",
    "statements_reverify",
    "statements_reverify_enqueue",
]
