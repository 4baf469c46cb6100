"""Writes for statements: store a statement file through the engine, and
rebuild a statement's verification from its stored raw rows.

    statement_import_file(*, path, file_name, provider=None, run_id="", acc_number=None, import_job=None, password=None) -> ImportResult
        (``path`` may also be the file's bytes)
    statement_reprocess(*, statement_id=None, statement=None) -> Statement
    statement_check_file(*, path, provider=None, acc_number=None, password=None) -> engine StatementResult (no database)

The engine (``statements.engine``) does the reading and the rules; this
module only turns its dataclasses into rows: ``Statement`` (``metadata``),
``RawTransaction``, ``ProcessedTransaction`` and ``StatementSummary``, all
in one transaction with bulk inserts, so a statement is stored whole or not
at all.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.bulk import bulk_insert
from core.limits import FileLimits, storage_file_name
from statements import engine
from statements.choices import StatementStatus
from statements.engine.errors import StatementError
from statements.engine.types import RawTxn, StatementResult
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementSummary
from statements.risk import prior_reasons
from statements.selectors import statement_by_sha256
from statements.services._rows import cut, parsed_from_rows, processed_row, raw_row, row_columns, statement_fields, summary_fields
from statements.services.counterparties import summary_top_fields

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000

@dataclass
class ImportResult:
    """What ``statement_import_file`` did with a file.

    ``duplicate``: a statement with the same SHA-256 was already stored and
    ``statement`` is that one; nothing new was written. Otherwise
    ``statement`` is the new row — ``IMPORT_FAILED`` with its
    ``failure_reason`` when the file could not be read (``error`` holds the
    engine's exception), else verified with ``result`` the engine's output.
    """

    statement: Statement
    duplicate: bool = False
    result: StatementResult | None = None
    error: StatementError | None = None


# --------------------------------------------------------------------------- import


def statement_import_file(
    *,
    path: str | Path | bytes,
    file_name: str,
    provider: str | None = None,
    run_id: str = "",
    acc_number: str | None = None,
    import_job=None,
    password: str | None = None,
) -> ImportResult:
    """Parse, verify and store one statement file (``path``: a file path, or
    the file's bytes, e.g. an upload already in memory).

    A file already stored (same SHA-256) is not stored again: the first
    statement is returned with ``duplicate=True`` — unless that one failed to
    import, in which case this attempt (a password now given, a rule fixed)
    replaces it. A file that cannot be read becomes an ``IMPORT_FAILED``
    statement with the reason and no transactions.
    """
    provider = (provider or "").strip().upper() or None
    limits = statement_file_limits()
    data = bytes(path) if isinstance(path, (bytes, bytearray, memoryview)) else engine.read_bytes(path, max_bytes=limits.file_bytes)
    sha = hashlib.sha256(data).hexdigest()
    existing = statement_by_sha256(sha)
    if existing is not None and existing.status != StatementStatus.IMPORT_FAILED:
        return ImportResult(statement=existing, duplicate=True)
    try:
        result = engine.check_bytes(data, provider=provider, acc_number=acc_number, password=password, limits=limits)
    except StatementError as exc:
        logger.info("statement %s could not be read: %s", file_name, exc)
        try:
            statement = _store_failed(
                existing, data=data, sha=sha, file_name=file_name, provider=provider, run_id=run_id,
                acc_number=acc_number, import_job=import_job, error=exc,
            )
        except IntegrityError:
            # Another worker stored the same file meanwhile: that row stands.
            winner = statement_by_sha256(sha)
            if winner is None:
                raise
            return ImportResult(statement=winner, duplicate=True, error=exc)
        return ImportResult(statement=statement, error=exc)
    try:
        statement = _store_result(
            existing, result, data=data, sha=sha, file_name=file_name, run_id=run_id,
            acc_number=acc_number, import_job=import_job,
        )
    except IntegrityError:
        # Another worker stored the same file between our lookup and insert.
        winner = statement_by_sha256(sha)
        if winner is None:
            raise
        return ImportResult(statement=winner, duplicate=True)
    return ImportResult(statement=statement, result=result)


def statement_check_file(*, path: str | Path, provider: str | None = None, acc_number: str | None = None, password: str | None = None) -> StatementResult:
    """Parse and verify a file without touching the database (``--dry-run``,
    ``parse_statement``). Raises the engine's ``StatementError`` for a file
    that cannot be read."""
    limits = statement_file_limits()
    return engine.check_bytes(
        engine.read_bytes(path, max_bytes=limits.file_bytes), provider=(provider or "").strip().upper() or None,
        acc_number=acc_number, password=password, limits=limits,
    )


def statement_file_limits() -> FileLimits:
    """The reading limits the settings configure (``FILE_LIMIT_*``, ``MAX_UPLOAD_SIZE``)."""
    return FileLimits.from_settings(settings)


def _file_fields(statement: Statement, *, data: bytes, sha: str, file_name: str, run_id: str, import_job) -> None:
    statement.file_name = cut(Path(file_name).name or "statement", 255)
    statement.file_sha256 = sha
    statement.file_size = len(data)
    statement.run_id = cut(run_id, 64)
    statement.import_job = import_job
    if not statement.file:
        statement.file.save(storage_file_name(statement.file_name, settings.FILE_NAME_MAX_BYTES), ContentFile(data), save=False)


@transaction.atomic
def _store_failed(existing, *, data, sha, file_name, provider, run_id, acc_number, import_job, error: StatementError) -> Statement:
    statement = existing or Statement()
    _file_fields(statement, data=data, sha=sha, file_name=file_name, run_id=run_id, import_job=import_job)
    statement.acc_prvdr_code = provider or statement.acc_prvdr_code or ""
    statement.acc_number = cut(acc_number or statement.acc_number, 32)
    statement.status = StatementStatus.IMPORT_FAILED
    statement.failure_reason = f"{error} [{error.code}]"
    statement.num_rows = 0
    statement.parsed_at = timezone.now()
    statement.save()
    return statement


@transaction.atomic
def _store_result(existing, result: StatementResult, *, data, sha, file_name, run_id, acc_number, import_job) -> Statement:
    parsed = result.parsed
    statement = existing or Statement()
    _file_fields(statement, data=data, sha=sha, file_name=file_name, run_id=run_id, import_job=import_job)
    statement_fields(statement, parsed)
    statement.acc_number = cut(parsed.acc_number or acc_number or "", 32)
    statement.failure_reason = ""
    now = timezone.now()
    statement.parsed_at = now
    statement.status = StatementStatus.IMPORTED
    statement.save()
    raw_ids = _bulk_raw(statement, parsed.transactions)
    _write_verification(statement, result, raw_ids)
    return statement


def _bulk_raw(statement: Statement, txns: list[RawTxn]) -> dict[int, int]:
    """Insert the raw rows; returns row_number -> id."""
    common = row_columns(statement)
    bulk_insert(RawTransaction, [raw_row(common, t) for t in txns], batch_size=BATCH_SIZE)
    return dict(RawTransaction.objects.filter(statement=statement).values_list("row_number", "id"))


def _write_verification(statement: Statement, result: StatementResult, raw_ids: dict[int, int]) -> None:
    """Processed rows, summary and the statement's outcome (inside the caller's transaction)."""
    common = row_columns(statement)
    rows = [processed_row(common, p, raw_ids.get(p.raw.row_no)) for p in result.transactions]
    bulk_insert(ProcessedTransaction, rows, batch_size=BATCH_SIZE)
    s = result.summary
    StatementSummary.objects.create(
        statement=statement, acc_prvdr_code=statement.acc_prvdr_code, acc_number=statement.acc_number,
        run_id=statement.run_id, **summary_fields(s), **summary_top_fields(statement.pk),
    )
    statement.status = result.status
    statement.num_rows = s.txn_count
    statement.verified_at = timezone.now()
    statement.save(update_fields=["status", "num_rows", "verified_at", "updated_at"])


# --------------------------------------------------------------------------- reprocess


@transaction.atomic
def statement_reprocess(*, statement_id: int | None = None, statement: Statement | None = None) -> Statement:
    """Rebuild processed rows, summary and status from the stored raw rows
    with the current rules, without reading the file again. Give the
    statement or its id; raises ``ValueError`` for a statement with no
    stored rows (a failed import has nothing to rebuild from)."""
    if (statement_id is None) == (statement is None):
        raise TypeError("statement_reprocess needs exactly one of statement_id or statement")
    # Locked so two reprocess runs (admin action and task) cannot interleave
    # their delete-and-insert of the same statement's processed rows.
    statement = Statement.objects.select_for_update().get(pk=statement_id if statement is None else statement.pk)
    raws = list(RawTransaction.objects.filter(statement=statement).order_by("row_number"))
    if not raws:
        raise ValueError(
            f"statement #{statement.pk} has no stored transactions to reprocess"
            + (f" (it failed to import: {statement.failure_reason})" if statement.failure_reason else "")
        )
    old = StatementSummary.objects.filter(statement=statement).values_list("header_row_manipulation_count", flat=True).first()
    parsed = parsed_from_rows(statement, raws, old or 0)
    # What only the file (or the request) showed is kept: the file is not read again.
    parsed.prior_reasons = prior_reasons(statement)
    result = engine.process(parsed)
    ProcessedTransaction.objects.filter(statement=statement).delete()
    StatementSummary.objects.filter(statement=statement).delete()
    _write_verification(statement, result, {r.row_number: r.pk for r in raws})
    return statement
