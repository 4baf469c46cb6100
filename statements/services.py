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
from datetime import date, datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.bulk import bulk_insert
from statements import engine
from statements.choices import StatementFormat, StatementStatus
from statements.engine.cleaning import parse_header_date
from statements.engine.errors import StatementError
from statements.engine.types import ParsedStatement, PdfMetadata, RawTxn, StatementResult
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementSummary
from statements.selectors import statement_by_sha256

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000

# Engine format name -> StatementFormat value, and back (for reprocessing).
_ENGINE_FORMAT = {
    StatementFormat.UATL_PDF_1: "pdf_format_1",
    StatementFormat.UATL_PDF_2: "pdf_format_2",
    StatementFormat.UATL_CSV_1: "csv_format_1",
    StatementFormat.UATL_CSV_2: "csv_format_2",
    StatementFormat.UMTN_XLSX: "xlsx",
    StatementFormat.UMTN_XLS: "xls",
    StatementFormat.UMTN_CSV: "csv",
}
_RAW_DATE = ("Transaction Date", "Date", "Date / Time")
_RAW_AMOUNT = ("Transaction Amount", "Amount")
_RAW_BALANCE = ("Balance", "Float Balance")


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
    data = bytes(path) if isinstance(path, (bytes, bytearray, memoryview)) else engine.read_bytes(path)
    sha = hashlib.sha256(data).hexdigest()
    existing = statement_by_sha256(sha)
    if existing is not None and existing.status != StatementStatus.IMPORT_FAILED:
        return ImportResult(statement=existing, duplicate=True)
    try:
        result = engine.check_bytes(data, provider=provider, acc_number=acc_number, password=password)
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
    return engine.check_path(path, provider=(provider or "").strip().upper() or None, acc_number=acc_number, password=password)


def _cut(value: object, length: int) -> str:
    return ("" if value is None else str(value))[:length]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _period(text: str) -> tuple[date | None, date | None]:
    if " to " not in text:
        return None, None
    start, _, end = text.partition(" to ")
    first, last = parse_header_date(start), parse_header_date(end)
    return (first.date() if first else None), (last.date() if last else None)


def _file_fields(statement: Statement, *, data: bytes, sha: str, file_name: str, run_id: str, import_job) -> None:
    statement.file_name = _cut(Path(file_name).name or "statement", 255)
    statement.file_sha256 = sha
    statement.file_size = len(data)
    statement.run_id = _cut(run_id, 64)
    statement.import_job = import_job
    if not statement.file:
        statement.file.save(statement.file_name, ContentFile(data), save=False)


@transaction.atomic
def _store_failed(existing, *, data, sha, file_name, provider, run_id, acc_number, import_job, error: StatementError) -> Statement:
    statement = existing or Statement()
    _file_fields(statement, data=data, sha=sha, file_name=file_name, run_id=run_id, import_job=import_job)
    statement.acc_prvdr_code = provider or statement.acc_prvdr_code or ""
    statement.acc_number = _cut(acc_number or statement.acc_number, 32)
    statement.status = StatementStatus.IMPORT_FAILED
    statement.failure_reason = f"{error} [{error.code}]"
    statement.num_rows = 0
    statement.parsed_at = timezone.now()
    statement.save()
    return statement


def _statement_fields(statement: Statement, parsed: ParsedStatement) -> None:
    header = parsed.header
    statement.acc_prvdr_code = parsed.provider
    statement.format = parsed.statement_format
    statement.pdf_format = parsed.pdf_format
    statement.customer_name = _cut(header.get("Customer Name", ""), 300)
    statement.mobile_number = _cut(header.get("Mobile Number", ""), 32)
    statement.email_address = _cut(header.get("Email Address", ""), 254)
    statement.statement_period = _cut(header.get("Statement Period", ""), 100)
    statement.period_start, statement.period_end = _period(header.get("Statement Period", ""))
    request = parse_header_date(header.get("Request Date", "")) if header.get("Request Date") else None
    statement.request_date = request.date() if request else None
    statement.opening_balance = parsed.summary.get("Opening Balance")
    statement.closing_balance = parsed.summary.get("Closing Balance")
    statement.total_credit = parsed.summary.get("Total Credit")
    statement.total_debit = parsed.summary.get("Total Debit")
    statement.header_fields = dict(header)
    meta = parsed.metadata or PdfMetadata()
    statement.pdf_title = _cut(meta.title, 255)
    statement.pdf_author = _cut(meta.author, 255)
    statement.pdf_creator = _cut(meta.creator, 255)
    statement.pdf_producer = _cut(meta.producer, 255)
    statement.pdf_created_at = _aware(meta.created)
    statement.pdf_modified_at = _aware(meta.modified)
    statement.pdf_created_raw = _cut(meta.created_raw, 64)
    statement.pdf_modified_raw = _cut(meta.modified_raw, 64)
    statement.page_count = parsed.page_count


@transaction.atomic
def _store_result(existing, result: StatementResult, *, data, sha, file_name, run_id, acc_number, import_job) -> Statement:
    parsed = result.parsed
    statement = existing or Statement()
    _file_fields(statement, data=data, sha=sha, file_name=file_name, run_id=run_id, import_job=import_job)
    _statement_fields(statement, parsed)
    statement.acc_number = _cut(parsed.acc_number or acc_number or "", 32)
    statement.failure_reason = ""
    now = timezone.now()
    statement.parsed_at = now
    statement.status = StatementStatus.IMPORTED
    statement.save()
    raw_ids = _bulk_raw(statement, parsed.transactions)
    _write_verification(statement, result, raw_ids)
    return statement


def _raw_cell(raw: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in raw:
            return _cut(raw[key], 64)
    return ""


def _bulk_raw(statement: Statement, txns: list[RawTxn]) -> dict[int, int]:
    """Insert the raw rows; returns row_number -> id."""
    common = {"statement_id": statement.pk, "acc_prvdr_code": statement.acc_prvdr_code, "acc_number": statement.acc_number,
              "run_id": statement.run_id}
    rows = []
    for t in txns:
        extra = dict(t.extra)
        if t.quality_notes:
            extra["quality_notes"] = t.quality_notes
        rows.append({
            **common,
            "row_number": t.row_no,
            "page_number": t.page,
            "txn_id": _cut(t.txn_id, 100),
            "txn_date": _aware(t.txn_date),
            "txn_type": _cut(t.txn_type, 100),
            "description": t.description or "",
            "from_acc": _cut(t.from_acc, 100),
            "to_acc": _cut(t.to_acc, 100),
            "status": _cut(t.status, 50),
            "direction": t.direction or "",
            "amount": t.amount,
            "fee": t.fee,
            "balance": t.balance,
            "raw_date": _raw_cell(t.raw, _RAW_DATE),
            "raw_amount": _raw_cell(t.raw, _RAW_AMOUNT),
            "raw_fee": _raw_cell(t.raw, ("Fee",)),
            "raw_balance": _raw_cell(t.raw, _RAW_BALANCE),
            "has_quality_issue": bool(t.has_quality_issue),
            "extra": extra,
        })
    bulk_insert(RawTransaction, rows, batch_size=BATCH_SIZE)
    return dict(RawTransaction.objects.filter(statement=statement).values_list("row_number", "id"))


def _write_verification(statement: Statement, result: StatementResult, raw_ids: dict[int, int]) -> None:
    """Processed rows, summary and the statement's outcome (inside the caller's transaction)."""
    common = {"statement": statement, "acc_prvdr_code": statement.acc_prvdr_code, "acc_number": statement.acc_number, "run_id": statement.run_id}
    fast = {"statement_id": statement.pk, "acc_prvdr_code": statement.acc_prvdr_code, "acc_number": statement.acc_number,
            "run_id": statement.run_id}
    rows = [
        {
            **fast,
            "raw_id": raw_ids.get(p.raw.row_no),
            "sequence": p.seq,
            "txn_id": _cut(p.raw.txn_id, 100),
            "txn_date": _aware(p.raw.txn_date),
            "txn_type": _cut(p.raw.txn_type, 100),
            "description": p.raw.description or "",
            "status": _cut(p.raw.status, 50),
            "direction": p.direction or "",
            "amount": p.amount,
            "fee": p.raw.fee,
            "balance": p.raw.balance,
            "calculated_running_balance": p.calculated_balance,
            "balance_diff": p.balance_diff,
            "implicit_charge": p.implicit_charge,
            "is_duplicate": bool(p.is_duplicate),
            "is_special": bool(p.is_special),
            "special_type": _cut(p.special_type, 64),
            "has_quality_issue": bool(p.raw.has_quality_issue),
        }
        for p in result.transactions
    ]
    bulk_insert(ProcessedTransaction, rows, batch_size=BATCH_SIZE)
    s = result.summary
    StatementSummary.objects.create(
        **common,
        num_rows=s.txn_count,
        first_txn_date=_aware(s.first_txn_date),
        last_txn_date=_aware(s.last_txn_date),
        credits=s.credits,
        debits=s.debits,
        fees=s.fees,
        opening_balance_stated=s.opening_balance_stated,
        opening_balance_calculated=s.opening_balance_calculated,
        closing_balance_stated=s.closing_balance_stated,
        closing_balance_calculated=s.closing_balance_calculated,
        duplicate_count=s.duplicate_count,
        quality_issues_count=s.quality_issues_count,
        header_row_manipulation_count=s.header_row_manipulation_count,
        special_txn_count=s.special_txn_count,
        balance_match=s.balance_match,
        balance_diff_changes=s.balance_diff_changes,
        balance_diff_change_ratio=s.balance_diff_change_ratio,
        missing_days_detected=s.missing_days_detected,
        gap_related_balance_changes=s.gap_related_balance_changes,
        uses_implicit_ind02_commission=s.implicit_ind02_commission,
        uses_implicit_merchant_cashback=s.implicit_merchant_cashback,
        verification_status=s.verification_status,
        verification_reason=s.verification_reason,
        tampering_level=s.tampering_level,
        tampering_reason=s.tampering_reason,
    )
    statement.status = result.status
    statement.num_rows = s.txn_count
    statement.verified_at = timezone.now()
    statement.save(update_fields=["status", "num_rows", "verified_at", "updated_at"])


# --------------------------------------------------------------------------- reprocess


def _naive_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return timezone.make_naive(value) if timezone.is_aware(value) else value


def _parsed_from_rows(statement: Statement, raws: list[RawTransaction], header_repeats: int) -> ParsedStatement:
    """The engine's view of a stored statement, without the file."""
    txns = [
        RawTxn(
            row_no=r.row_number,
            txn_id=r.txn_id,
            txn_date=_naive_local(r.txn_date),
            amount=r.amount,
            fee=r.fee,
            balance=r.balance,
            description=r.description,
            txn_type=r.txn_type,
            status=r.status,
            direction=r.direction,
            from_acc=r.from_acc,
            to_acc=r.to_acc,
            page=r.page_number,
            has_quality_issue=r.has_quality_issue,
            extra=r.extra or {},
        )
        for r in raws
    ]
    summary = {
        name: value
        for name, value in (
            ("Opening Balance", statement.opening_balance), ("Closing Balance", statement.closing_balance),
            ("Total Credit", statement.total_credit), ("Total Debit", statement.total_debit),
        )
        if value is not None
    }
    is_pdf = statement.format in (StatementFormat.UATL_PDF_1, StatementFormat.UATL_PDF_2)
    metadata = (
        PdfMetadata(
            title=statement.pdf_title, author=statement.pdf_author, creator=statement.pdf_creator,
            producer=statement.pdf_producer, created=statement.pdf_created_at, modified=statement.pdf_modified_at,
            created_raw=statement.pdf_created_raw, modified_raw=statement.pdf_modified_raw,
        )
        if is_pdf
        else None
    )
    return ParsedStatement(
        provider=statement.acc_prvdr_code,
        format=_ENGINE_FORMAT.get(statement.format, statement.format),
        file_kind="pdf" if is_pdf else "",
        acc_number=statement.acc_number or None,
        transactions=txns,
        header=dict(statement.header_fields or {}),
        summary=summary,
        metadata=metadata,
        page_count=statement.page_count,
        header_row_manipulation_count=header_repeats,
    )


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
    parsed = _parsed_from_rows(statement, raws, old or 0)
    result = engine.process(parsed)
    ProcessedTransaction.objects.filter(statement=statement).delete()
    StatementSummary.objects.filter(statement=statement).delete()
    _write_verification(statement, result, {r.row_number: r.pk for r in raws})
    return statement
