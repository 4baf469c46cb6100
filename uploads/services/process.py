"""Processing a loan book: every record imported chunk by chunk, one
transaction per chunk, and the upload finished with its counts.

The Celery task ``process_upload`` and the ``import_loan_book`` command call
``file_upload_process``. The matching rules are in ``uploads.matching``
(pure); this module loads what a chunk needs to know, applies the matches
and writes them (``_write``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, reset_queries, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from core import bulk
from core.jobs import attempts_used_up_note
from customers.models import Customer
from debts.models import Debt
from uploads.choices import MatchMethod, RowStatus, UploadStatus
from uploads.matching import DEBT_UPDATE_FIELDS, CustomerRecord, Line, LoanBookIndex, Outcome, match_lines
from uploads.models import FileUpload, UploadRow
from uploads.readers import LoanBookError, LoanBookReader, open_loan_book
from uploads.services._lines import Prepared, in_background, loan_id_conflicts, prepared_chunks
from uploads.services._write import insert_reviews, insert_upload_rows, upload_row, write_history, write_matches
from uploads.services.accept import FINAL_STATUSES

logger = logging.getLogger(__name__)

SUCCESS_STATUSES = (RowStatus.MATCHED, RowStatus.CREATED, RowStatus.UPDATED)
CHUNK_ATTEMPTS = 4
# Lines per transaction: each chunk's lookups are IN lists of its phones and
# fingerprints and its rows one multi-row INSERT, so the chunk bounds them.
MAX_CHUNK_SIZE = 20_000
RESUME_HINT = "Resume it from the admin once the cause is fixed."
_MYSQL_RETRYABLE = {1205, 1213}  # lock wait timeout, deadlock
_DEBT_LOAD_FIELDS = ("id", "customer_id", "loan_id", *DEBT_UPDATE_FIELDS, "days_past_due")
_CUSTOMER_LOAD_FIELDS = (
    "id", "fingerprint", "full_name", "primary_phone", "secondary_phone", "national_id_hash", "email", "state",
    "first_uploaded_at",
)  # the order of CustomerRecord's arguments


class _UploadFinished(Exception):
    """Another processor finished this upload while we were reading."""


@dataclass
class ImportCounts:
    total: int
    processed: int
    success: int
    customers_created: int
    customers_matched: int
    debts_created: int
    debts_updated: int
    skipped: int
    failed: int
    status: str
    review: int = 0

    @classmethod
    def of(cls, upload: FileUpload) -> ImportCounts:
        return cls(
            total=upload.total_records,
            processed=upload.processed_records,
            success=upload.success_records,
            customers_created=upload.customers_created,
            customers_matched=upload.customers_matched,
            debts_created=upload.debts_created,
            debts_updated=upload.debts_updated,
            skipped=upload.skipped_records,
            failed=upload.failed_records,
            status=upload.status,
            review=upload.review_records,
        )


# --------------------------------------------------------------------------- the file


def import_chunk_size(chunk_size: int | None = None) -> int:
    """Lines per transaction: ``chunk_size``, or ``UPLOAD_CHUNK_SIZE`` when
    none (or 0) is given; a ValueError unless it is 1 to ``MAX_CHUNK_SIZE``."""
    size = chunk_size or settings.UPLOAD_CHUNK_SIZE
    if not 1 <= size <= MAX_CHUNK_SIZE:
        raise ValueError(f"the chunk size must be 1 to {MAX_CHUNK_SIZE:,} lines, not {size:,}")
    return size


def file_upload_process(
    *,
    upload_id: int,
    source: BinaryIO | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int | None = None,
) -> FileUpload:
    """Import every record of the upload, one transaction per chunk, and finish it.

    Idempotent and resumable: records up to ``last_line_number`` were
    committed with their chunk and are not read again, so a run after a
    crash ends exactly where an uninterrupted run would. ``progress`` gets
    ``(processed, total)`` after each chunk. A file that cannot be read ends
    the upload as ``failed`` with the reason in ``processing_errors``.
    """
    chunk_size = import_chunk_size(chunk_size)  # refused before the upload is touched
    upload = FileUpload.objects.get(pk=upload_id)
    if upload.status in FINAL_STATUSES:
        return upload
    if not _count_attempt(upload_id):
        return FileUpload.objects.get(pk=upload_id)
    handle = source if source is not None else upload.file.open("rb")
    try:
        reader = open_loan_book(handle, upload.filename)
        reader.read_header()
        # Over the whole file on every run (a resumed one too): a line already
        # committed still makes its later twin a conflict.
        conflicts, records = loan_id_conflicts(reader)
        _start(upload, reader, records)
        if progress:
            progress(upload.processed_records, upload.total_records)
        _import_records(upload, reader, progress, chunk_size, conflicts)
    except _UploadFinished:
        pass
    except LoanBookError as exc:
        _mark_failed(upload_id, str(exc))
        return FileUpload.objects.get(pk=upload_id)
    except Exception as exc:
        _mark_failed(upload_id, f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        if source is None:
            handle.close()
    return _finish(upload_id)


def _count_attempt(upload_id: int) -> bool:
    """Count this run as an attempt; False, with the upload failed and the
    reason written, once it has used up JOB_MAX_ATTEMPTS (a file that kills
    its worker is not redelivered forever)."""
    limit = settings.JOB_MAX_ATTEMPTS
    if FileUpload.objects.filter(pk=upload_id, attempts__lt=limit).update(attempts=F("attempts") + 1):
        return True
    _mark_failed(upload_id, attempts_used_up_note(attempts=limit, what="import", retry=RESUME_HINT))
    return False


def _start(upload: FileUpload, reader: LoanBookReader, total: int) -> None:
    """Mark the upload processing; on its first run, note its ``total`` records and the file's shape."""
    if upload.started_at is None:
        FileUpload.objects.filter(pk=upload.pk).update(
            status=UploadStatus.PROCESSING, started_at=timezone.now(), total_records=total, processing_errors="",
            file_format=reader.file_format, encoding=reader.encoding, delimiter=reader.delimiter,
            headers=reader.headers, updated_at=timezone.now(),
        )
    else:
        FileUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.PROCESSING, processing_errors="", updated_at=timezone.now())
    upload.refresh_from_db()


def _import_records(
    upload: FileUpload, reader: LoanBookReader, progress: Callable[[int, int], None] | None, chunk_size: int,
    conflicts: dict[str, list[int]],
) -> None:
    """Every record after the last committed line, a chunk at a time."""
    region = upload.phone_region or settings.PHONE_DEFAULT_REGION
    records = (r for r in reader.records() if r.line_number > upload.last_line_number)
    with closing(in_background(prepared_chunks(reader, records, region, chunk_size))) as chunks:
        for prepared in chunks:
            _import_chunk_with_retry(upload, prepared, conflicts)
            # With DEBUG on, Django keeps every query's SQL; a million-line
            # import would hold gigabytes of INSERT text.
            reset_queries()
            if progress:
                upload.refresh_from_db(fields=["processed_records", "total_records"])
                progress(upload.processed_records, upload.total_records)


def _mark_failed(upload_id: int, message: str) -> None:
    logger.warning("upload %s failed: %s", upload_id, message)
    FileUpload.objects.filter(pk=upload_id).exclude(status__in=FINAL_STATUSES).update(
        status=UploadStatus.FAILED, processing_errors=message[:5000], updated_at=timezone.now()
    )


@transaction.atomic
def _finish(upload_id: int) -> FileUpload:
    """Recount from the rows themselves (exact, whatever crashes happened) and set the final status."""
    upload = FileUpload.objects.select_for_update().get(pk=upload_id)
    if upload.status in FINAL_STATUSES:
        return upload
    recount(upload)
    upload.completed_at = timezone.now()
    upload.save()
    logger.info(
        "upload %s %s: %s rows, %s ok, %s skipped, %s failed, %s waiting for review",
        upload_id, upload.status, upload.total_records, upload.success_records, upload.skipped_records, upload.failed_records,
        upload.review_records,
    )
    return upload


def recount(upload: FileUpload) -> None:
    """Set the upload's counts and final status from its rows (not saved)."""
    upload_id = upload.pk
    agg = UploadRow.objects.filter(file_upload_id=upload_id).aggregate(
        rows=Count("id"),
        success=Count("id", filter=Q(status__in=SUCCESS_STATUSES)),
        failed=Count("id", filter=Q(status__in=(RowStatus.FAILED, RowStatus.REJECTED))),
        review=Count("id", filter=Q(status=RowStatus.NEEDS_REVIEW)),
        skipped=Count("id", filter=Q(status=RowStatus.SKIPPED)),
        created=Count("id", filter=Q(status=RowStatus.CREATED)),
        updated=Count("id", filter=Q(status=RowStatus.UPDATED)),
        new_customers=Count("id", filter=Q(match_method=MatchMethod.NEW, status__in=SUCCESS_STATUSES)),
        customers=Count("matched_customer", distinct=True, filter=Q(status__in=SUCCESS_STATUSES)),
    )
    upload.total_records = agg["rows"]
    upload.processed_records = agg["rows"]
    upload.success_records = agg["success"]
    upload.failed_records = agg["failed"]
    upload.skipped_records = agg["skipped"]
    upload.review_records = agg["review"]
    upload.debts_created = agg["created"]
    upload.debts_updated = agg["updated"]
    upload.customers_created = agg["new_customers"]
    upload.customers_matched = agg["customers"] - agg["new_customers"]
    upload.status = UploadStatus.COMPLETED_WITH_ERRORS if agg["failed"] else UploadStatus.COMPLETED


# --------------------------------------------------------------------------- one chunk


def _import_chunk_with_retry(upload: FileUpload, prepared: list[Prepared], conflicts: dict[str, list[int]]) -> None:
    first_line = prepared[0].line_number
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            _import_chunk(upload, prepared, conflicts)
            return
        except IntegrityError:
            # Another upload processed at the same time created the same
            # customer (fingerprint) or loan (loan_id) after we looked. The
            # chunk rolled back whole; looking again finds their rows.
            if attempt == CHUNK_ATTEMPTS:
                raise
            logger.info("upload %s: chunk at line %s raced another import, retrying", upload.pk, first_line)
        except OperationalError as exc:
            if attempt == CHUNK_ATTEMPTS or exc.args[0] not in _MYSQL_RETRYABLE:
                raise
            logger.info("upload %s: chunk at line %s hit %s, retrying", upload.pk, first_line, exc.args[0])


def load_index(prepared: list[Line], *, customer_ids: frozenset[int] = frozenset()) -> LoanBookIndex:
    """What one chunk knows about existing customers and debts (a few IN queries)."""
    ok = [p for p in prepared if p.row.ok]
    index = LoanBookIndex()
    fingerprints = {p.fp_name for p in ok} | {p.fp_nid for p in ok if p.fp_nid}
    index.remember_customers(
        bulk.fetch_any(Customer, _CUSTOMER_LOAD_FIELDS, primary_phone={p.row.phone for p in ok}, fingerprint=fingerprints)
    )
    loaded = bulk.fetch_any(Debt, _DEBT_LOAD_FIELDS, loan_id={p.row.loan_id for p in ok})
    owners = ({values[1] for values in loaded} | set(customer_ids)) - set(index.customers)
    if owners:
        index.remember_customers(bulk.fetch_any(Customer, _CUSTOMER_LOAD_FIELDS, id=owners))
    for values in loaded:
        index.remember_debt(values[0], values[1], values[2], dict(zip(_DEBT_LOAD_FIELDS[3:], values[3:], strict=True)))
    _load_email_owners(index, {p.row.email for p in ok if p.row.email})
    _load_done_before(index, {p.fingerprint for p in ok})
    return index


def _load_email_owners(index: LoanBookIndex, emails: set[str]) -> None:
    index.email_owner = {c.email.lower(): c for c in index.customers.values() if c.email}
    unknown = emails - set(index.email_owner)
    if unknown:
        for email, owner_id in Customer.objects.filter(email__in=unknown).values_list("email", "pk"):
            index.email_owner[email.lower()] = index.customers.get(owner_id, owner_id)


def _load_done_before(index: LoanBookIndex, fingerprints: set[str]) -> None:
    """Lines already imported with identical content (this file again, or the
    same line in another file): skipped, pointing at what they matched."""
    if not fingerprints:
        return
    # Only the fingerprints in the statement; status and loan are checked
    # here. With them in the WHERE, MariaDB builds a range per fingerprint and
    # status (3,000 for a chunk of 1,000) and the lookup costs four times as much.
    qn = connection.ops.quote_name
    table = UploadRow._meta
    columns = [qn(table.get_field(name).column) for name in ("id", "row_fingerprint", "status", "matched_customer", "matched_debt")]
    fingerprints = list(fingerprints)
    prior = []
    step = min(5000, connection.features.max_query_params or 5000)
    with connection.cursor() as cursor:
        for start in range(0, len(fingerprints), step):
            batch = fingerprints[start : start + step]
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {qn(table.db_table)} WHERE {columns[1]} IN ({', '.join(['%s'] * len(batch))})",
                batch,
            )
            prior.extend(row for row in cursor.fetchall() if row[2] in SUCCESS_STATUSES and row[4] is not None)
    for _, fp, _, customer_id, debt_id in sorted(prior):  # the earliest import wins
        index.done_before.setdefault(fp, (customer_id, debt_id))


def _import_chunk(upload: FileUpload, prepared: list[Prepared], conflicts: dict[str, list[int]]) -> None:
    """One chunk, one transaction: customers, debts, upload rows and the upload's counters."""
    now = timezone.now()
    with transaction.atomic():
        # The row lock makes a chunk a claim: two processors of one upload
        # (a redelivered task next to a live one, a double "resume") take
        # turns, and the second one sees the lines as already done.
        locked = FileUpload.objects.select_for_update().only("id", "status", "last_line_number").get(pk=upload.pk)
        if locked.status in FINAL_STATUSES:
            raise _UploadFinished
        prepared = [p for p in prepared if p.line_number > locked.last_line_number]
        if not prepared:
            return
        index = load_index(prepared)
        outcomes = match_lines(
            index, prepared, uploaded_at=upload.uploaded_at, currency=settings.DEFAULT_CURRENCY,
            default_after_days=settings.DELINQUENCY_DEFAULT_AFTER_DAYS,
            may_sync_balances=upload.may_sync_balances, conflicts=conflicts,
        )
        write_matches(index, upload, now)
        write_history(index, now, user_id=upload.uploaded_by_id, reason=f"loan book upload #{upload.pk}")
        rows = [upload_row(outcome) for outcome in outcomes]
        insert_upload_rows(upload, rows, now)
        insert_reviews(upload, outcomes)
        _count_chunk(upload, index, outcomes, last_line=prepared[-1].line_number, now=now)


def _count_chunk(upload: FileUpload, index: LoanBookIndex, outcomes: list[Outcome], *, last_line: int, now) -> None:
    """Move the upload's counters by what this chunk did (``_finish`` recounts exactly at the end)."""
    counts = dict.fromkeys(RowStatus.values, 0)
    matched_existing = set()
    for outcome in outcomes:
        counts[outcome.status] += 1
        customer = outcome.customer
        if (isinstance(customer, CustomerRecord) and outcome.method not in (MatchMethod.NEW, MatchMethod.DUPLICATE_ROW)
                and customer.pk in index.customers):
            matched_existing.add(customer.pk)
    FileUpload.objects.filter(pk=upload.pk).update(
        processed_records=F("processed_records") + len(outcomes),
        success_records=F("success_records") + counts[RowStatus.MATCHED] + counts[RowStatus.CREATED] + counts[RowStatus.UPDATED],
        failed_records=F("failed_records") + counts[RowStatus.FAILED],
        skipped_records=F("skipped_records") + counts[RowStatus.SKIPPED],
        review_records=F("review_records") + counts[RowStatus.NEEDS_REVIEW],
        debts_created=F("debts_created") + counts[RowStatus.CREATED],
        debts_updated=F("debts_updated") + counts[RowStatus.UPDATED],
        customers_created=F("customers_created") + len(index.new_customers),
        customers_matched=F("customers_matched") + len(matched_existing),
        last_line_number=last_line,
        status=UploadStatus.PROCESSING,
        updated_at=now,
    )
