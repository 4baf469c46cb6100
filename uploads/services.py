"""Writes for loan-book uploads (seeds 001 and 003).

Admin, API, Celery tasks and the ``import_loan_book`` command all come
through here:

* ``file_upload_create`` checks and stores a file and records the job;
* ``file_upload_process`` imports it chunk by chunk (the Celery task calls it);
* ``file_upload_resume`` puts an interrupted or failed job back on the queue.

This module is the write path for customers and debts that come from a loan
book. It writes them one chunk at a time with multi-row statements
(``uploads.bulk``) because an import of 100,000 lines must not cost 100,000
round trips; the per-row rules (validation, matching, what an update
changes) live here and nowhere else. Bulk writes bypass model ``save()``, so
loan-book changes leave no django-simple-history entries: the UploadRow
(raw line, what it matched, when) is the audit trail of every change.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, OperationalError, reset_queries, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from core import crypto
from core import text as core_text
from core.masking import mask
from core.tasks import enqueue_on_commit
from customers.models import Customer
from debts.choices import DebtStatus, DebtType
from debts.models import Debt
from uploads import bulk
from uploads.choices import MatchMethod, RowStatus, UploadStatus
from uploads.models import FileUpload, UploadRow
from uploads.parsing import ParsedRow, parse_record
from uploads.readers import HeaderMap, LoanBookError, LoanBookReader, Record, normalize_header, open_loan_book

logger = logging.getLogger(__name__)

FINAL_STATUSES = (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS)
SUCCESS_STATUSES = (RowStatus.MATCHED, RowStatus.CREATED, RowStatus.UPDATED)
ALLOWED_EXTENSIONS = (".csv", ".txt", ".xlsx")
ALLOWED_CONTENT_TYPES = {
    "",
    "text/csv",
    "text/plain",
    "text/comma-separated-values",
    "text/x-csv",
    "application/csv",
    "application/x-csv",
    "application/vnd.ms-excel",  # what Windows browsers call a .csv
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
}
CHUNK_ATTEMPTS = 4
_MYSQL_RETRYABLE = {1205, 1213}  # lock wait timeout, deadlock

DEBT_UPDATE_FIELDS = (
    "original_amount", "current_balance", "due_amount", "due_date", "last_payment_date", "last_payment_amount",
    "currency", "state", "cluster", "branch", "branch_contact", "employee_name", "employee_id", "employee_contact",
    "status",
)
_DEBT_LOAD_FIELDS = ("id", "customer_id", "loan_id", *DEBT_UPDATE_FIELDS)
_CUSTOMER_LOAD_FIELDS = (
    "id", "fingerprint", "full_name", "primary_phone", "secondary_phone", "national_id_hash", "email", "state",
    "first_uploaded_at",
)  # the order of _Customer's arguments
_NATIONAL_ID_HASH = Customer._meta.get_field("national_id_hash")
# Loan books repeat customers on many lines; the same names and phones are
# normalised and hashed once per process, not once per line.
normalize_name = lru_cache(maxsize=65536)(core_text.normalize_name)
customer_fingerprint = lru_cache(maxsize=65536)(core_text.customer_fingerprint)


class UploadRejected(ValueError):
    """The file cannot be accepted; the message says why, for the person who sent it."""


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
        )


# --------------------------------------------------------------------------
# Accepting a file
# --------------------------------------------------------------------------


def _sha256(fileobj: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    fileobj.seek(0)
    for block in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    fileobj.seek(0)
    return digest.hexdigest(), size


def file_upload_check(*, fileobj: BinaryIO, filename: str, content_type: str | None = None, size: int | None = None) -> LoanBookReader:
    """Refuse what cannot be a loan book before anything is stored; return its reader."""
    base = os.path.basename(filename or "")
    ext = os.path.splitext(base)[1].lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRejected(f"{base!r}: unsupported file type {ext or '(none)'!r}; upload a .csv or .xlsx loan book")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in ALLOWED_CONTENT_TYPES:
        raise UploadRejected(f"{base!r}: unsupported content type {declared!r}; upload a .csv or .xlsx loan book")
    if size is None:
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(0)
    if size > settings.MAX_UPLOAD_SIZE:
        raise UploadRejected(f"{base!r} is {size:,} bytes; the largest loan book accepted is {settings.MAX_UPLOAD_SIZE:,} bytes")
    if size == 0:
        raise UploadRejected(f"{base!r} is empty")
    try:
        reader = open_loan_book(fileobj, base)
        reader.read_header()
    except LoanBookError as exc:
        raise UploadRejected(f"{base!r}: {exc}") from None
    return reader


@transaction.atomic
def file_upload_create(
    *,
    fileobj: BinaryIO,
    filename: str,
    uploaded_by=None,
    uploaded_by_label: str = "",
    content_type: str | None = None,
    phone_region: str | None = None,
    store: bool = True,
    enqueue: bool = True,
) -> FileUpload:
    """Check ``fileobj``, record the upload job (and the file), and queue its processing.

    Raises ``UploadRejected`` (nothing recorded) for an oversized file, a
    wrong type or a file without the loan-book columns. A file already
    uploaded (same SHA-256) is accepted and linked to the first upload
    (``duplicate_of``); its rows that were imported before are skipped.
    ``store=False`` keeps the file out of storage (dry runs: process it with
    ``file_upload_process(source=...)``).
    """
    reader = file_upload_check(fileobj=fileobj, filename=filename, content_type=content_type)
    sha256, size = _sha256(fileobj)
    region = (phone_region or settings.PHONE_DEFAULT_REGION).upper()
    upload = FileUpload(
        filename=os.path.basename(filename)[:255],
        sha256=sha256,
        file_size=size,
        uploaded_by=uploaded_by,
        uploaded_by_label=uploaded_by_label[:200],
        duplicate_of=FileUpload.objects.filter(sha256=sha256).order_by("id").first(),
        file_format=reader.file_format,
        encoding=reader.encoding,
        delimiter=reader.delimiter,
        headers=reader.headers,
        phone_region=region,
    )
    if store:
        from django.core.files import File

        fileobj.seek(0)
        upload.file.save(upload.filename, File(fileobj, name=upload.filename), save=False)
    upload.save()
    if enqueue:
        from uploads.tasks import process_upload

        upload_id = upload.pk
        enqueue_on_commit(process_upload, upload_id, on_failure=lambda exc: _note_not_queued(upload_id, exc))
    return upload


def _note_not_queued(upload_id: int, exc: BaseException) -> None:
    # The upload is saved; resume_stalled_uploads (beat) queues it again once
    # the broker is back. Say so on the job, so nobody thinks it was lost.
    FileUpload.objects.filter(pk=upload_id).update(
        processing_errors=f"The task queue was unavailable ({exc}); the import starts automatically when it is back.",
        updated_at=timezone.now(),
    )


@transaction.atomic
def file_upload_resume(*, upload_id: int) -> FileUpload:
    """Queue an interrupted, stalled or failed upload again; it continues after its last committed chunk."""
    upload = FileUpload.objects.select_for_update().get(pk=upload_id)
    if upload.status in FINAL_STATUSES:
        raise UploadRejected(f"upload #{upload.pk} is already {upload.get_status_display().lower()}")
    if not upload.file:
        raise UploadRejected(f"upload #{upload.pk} has no stored file to resume from")
    from uploads.tasks import process_upload

    enqueue_on_commit(process_upload, upload_id, on_failure=lambda exc: _note_not_queued(upload_id, exc))
    return upload


def file_upload_resume_stalled(*, older_than_minutes: int = 15) -> list[int]:
    """Re-queue uploads whose worker died (no progress for a while); return their ids.

    A SIGKILLed worker's message comes back only after the broker's
    visibility timeout (an hour); this gets the import going sooner. A
    processor that is in fact still alive is harmless: chunks are claimed
    under a row lock on the upload, so no line is imported twice.
    """
    cutoff = timezone.now() - timezone.timedelta(minutes=older_than_minutes)
    stalled = FileUpload.objects.filter(
        Q(status=UploadStatus.PROCESSING) | Q(status=UploadStatus.PENDING), updated_at__lt=cutoff
    ).exclude(file="")
    ids = list(stalled.values_list("id", flat=True)[:100])
    for upload_id in ids:
        file_upload_resume(upload_id=upload_id)
    return ids


# --------------------------------------------------------------------------
# Processing
# --------------------------------------------------------------------------


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
    upload = FileUpload.objects.get(pk=upload_id)
    if upload.status in FINAL_STATUSES:
        return upload
    chunk_size = chunk_size or settings.UPLOAD_CHUNK_SIZE
    region = upload.phone_region or settings.PHONE_DEFAULT_REGION
    handle = source if source is not None else upload.file.open("rb")
    try:
        reader = open_loan_book(handle, upload.filename)
        if upload.started_at is None:
            reader.read_header()
            total = reader.count()
            FileUpload.objects.filter(pk=upload_id).update(
                status=UploadStatus.PROCESSING, started_at=timezone.now(), total_records=total, processing_errors="",
                file_format=reader.file_format, encoding=reader.encoding, delimiter=reader.delimiter,
                headers=reader.headers, updated_at=timezone.now(),
            )
        else:
            FileUpload.objects.filter(pk=upload_id).update(status=UploadStatus.PROCESSING, processing_errors="", updated_at=timezone.now())
        upload.refresh_from_db()
        if progress:
            progress(upload.processed_records, upload.total_records)
        records = (r for r in reader.records() if r.line_number > upload.last_line_number)
        with closing(_in_background(_prepared_chunks(reader, records, region, chunk_size))) as chunks:
            for prepared in chunks:
                _import_chunk_with_retry(upload, prepared)
                # With DEBUG on, Django keeps every query's SQL; a million-line
                # import would hold gigabytes of INSERT text.
                reset_queries()
                if progress:
                    upload.refresh_from_db(fields=["processed_records", "total_records"])
                    progress(upload.processed_records, upload.total_records)
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
    agg = UploadRow.objects.filter(file_upload_id=upload_id).aggregate(
        rows=Count("id"),
        success=Count("id", filter=Q(status__in=SUCCESS_STATUSES)),
        failed=Count("id", filter=Q(status=RowStatus.FAILED)),
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
    upload.debts_created = agg["created"]
    upload.debts_updated = agg["updated"]
    upload.customers_created = agg["new_customers"]
    upload.customers_matched = agg["customers"] - agg["new_customers"]
    upload.status = UploadStatus.COMPLETED_WITH_ERRORS if agg["failed"] else UploadStatus.COMPLETED
    upload.completed_at = timezone.now()
    upload.save()
    logger.info(
        "upload %s %s: %s rows, %s ok, %s skipped, %s failed",
        upload_id, upload.status, agg["rows"], agg["success"], agg["skipped"], agg["failed"],
    )
    return upload


class _Prepared:
    """One line, parsed, with everything matching needs that does not need the database.

    Built in the reader thread, so the thread that talks to the database
    only matches and writes.
    """

    __slots__ = ("record", "row", "raw_json", "fingerprint", "nid_hash", "fp_name", "fp_nid", "norm_name")

    def __init__(self, record: Record, row: ParsedRow, raw: dict, fingerprint: str, nid_hash: str | None):
        self.record, self.row, self.fingerprint, self.nid_hash = record, row, fingerprint, nid_hash
        self.raw_json = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        self.fp_name = self.fp_nid = self.norm_name = None
        if row.ok:
            self.fp_name = customer_fingerprint(row.phone, row.name)
            self.fp_nid = customer_fingerprint(row.phone, row.name, row.national_id) if row.national_id else None
            self.norm_name = normalize_name(row.name)


class _HeaderPlan:
    """Per-file facts computed once, not per line."""

    def __init__(self, header_map: HeaderMap):
        self.header_map = header_map
        headers = [h for h in header_map.headers if h]
        # Identical lines are identical whatever the column order or header spelling.
        self.fingerprint_order = sorted(headers, key=normalize_header)
        self.nid_header = header_map.header_for("national_id") if "national_id" in header_map.field_index else None


def _prepare(record: Record, plan: _HeaderPlan, region: str) -> _Prepared:
    row = parse_record(record, plan.header_map, region=region)
    raw = record.raw
    nid_hash = None
    values = [raw.get(h, "") for h in plan.fingerprint_order]
    if plan.nid_header and raw.get(plan.nid_header):
        nid_hash = _NATIONAL_ID_HASH.compute(raw[plan.nid_header])
        # Never keep a national ID in clear: raw data is shown in the admin,
        # the API and the failed-rows export. The fingerprint uses its keyed hash.
        values[plan.fingerprint_order.index(plan.nid_header)] = nid_hash or ""
        raw = {**raw, plan.nid_header: mask(raw[plan.nid_header])}
    if record.extra_cells:
        raw = {**raw, "_extra_cells": record.extra_cells}
        values.extend(record.extra_cells)
    fingerprint = hashlib.sha256("\x1f".join(values).encode("utf-8")).hexdigest()
    return _Prepared(record, row, raw, fingerprint, nid_hash)


def _prepared_chunks(reader: LoanBookReader, records: Iterator[Record], region: str, chunk_size: int) -> Iterator[list[_Prepared]]:
    plan = None
    while True:
        batch = list(islice(records, chunk_size))
        if not batch:
            return
        plan = plan or _HeaderPlan(reader.header_map)
        yield [_prepare(record, plan, region) for record in batch]


def _in_background(chunks: Iterator[list[_Prepared]], depth: int = 2) -> Iterator[list[_Prepared]]:
    """Read and validate the next chunks in a thread while this one is written.

    Parsing is pure Python and the database round trips release the GIL, so
    the two overlap; the queue bounds memory to ``depth`` chunks. Errors in
    the reader (a broken line deep in the file) surface here, in order.
    """
    results: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        results.put((chunk, None), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            results.put((done, None))
        except BaseException as exc:  # handed to the consumer, raised there
            results.put((None, exc))

    worker = threading.Thread(target=produce, name="loan-book-reader", daemon=True)
    worker.start()
    try:
        while True:
            chunk, error = results.get()
            if error is not None:
                raise error
            if chunk is done:
                return
            yield chunk
    finally:
        stop.set()
        worker.join(timeout=5)


def _import_chunk_with_retry(upload: FileUpload, prepared: list[_Prepared]) -> None:
    records = [p.record for p in prepared]
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            _import_chunk(upload, prepared)
            return
        except IntegrityError:
            # Another upload processed at the same time created the same
            # customer (fingerprint) or loan (loan_id) after we looked. The
            # chunk rolled back whole; looking again finds their rows.
            if attempt == CHUNK_ATTEMPTS:
                raise
            logger.info("upload %s: chunk at line %s raced another import, retrying", upload.pk, records[0].line_number)
        except OperationalError as exc:
            if attempt == CHUNK_ATTEMPTS or exc.args[0] not in _MYSQL_RETRYABLE:
                raise
            logger.info("upload %s: chunk at line %s hit %s, retrying", upload.pk, records[0].line_number, exc.args[0])


def _loan_key(loan_id: str) -> str:
    # The database compares loan ids case-insensitively (utf8mb4_unicode_ci,
    # unique index): "ln-1001" is the loan "LN-1001", here as there.
    return loan_id.casefold()


class _Customer:
    """What matching needs of a customer; cheaper than a model instance by an order of magnitude."""

    __slots__ = ("pk", "fingerprint", "full_name", "primary_phone", "secondary_phone", "national_id_hash", "email", "state",
                 "first_uploaded_at", "national_id", "norm_name", "changed")

    def __init__(self, pk, fingerprint, full_name, primary_phone, secondary_phone, national_id_hash, email, state, first_uploaded_at):
        self.pk, self.fingerprint, self.full_name, self.primary_phone = pk, fingerprint, full_name, primary_phone
        self.secondary_phone, self.national_id_hash, self.email, self.state = secondary_phone, national_id_hash, email, state
        self.first_uploaded_at, self.national_id = first_uploaded_at, ""
        self.norm_name = normalize_name(full_name)
        self.changed: set[str] = set()


class _Debt:
    __slots__ = ("pk", "customer", "loan_id", *DEBT_UPDATE_FIELDS)

    def __init__(self, pk, customer, loan_id, values: dict):
        self.pk, self.customer, self.loan_id = pk, customer, loan_id
        for name in DEBT_UPDATE_FIELDS:
            setattr(self, name, values.get(name))


class _ChunkState:
    """What one chunk knows about existing customers and debts (a few IN queries), plus what it creates."""

    def __init__(self, prepared: list[_Prepared]):
        ok = [p for p in prepared if p.row.ok]
        phones = {p.row.phone for p in ok}
        fingerprints = set()
        for p in ok:
            fingerprints.add(p.fp_name)
            if p.fp_nid:
                fingerprints.add(p.fp_nid)
        self.customers: dict[int, _Customer] = {}
        self.by_fingerprint: dict[str, _Customer] = {}
        self.by_phone: dict[str, list[_Customer]] = {}
        self._remember(bulk.fetch_any(Customer, _CUSTOMER_LOAD_FIELDS, primary_phone=phones, fingerprint=fingerprints))

        self.debts: dict[str, _Debt] = {}
        loaded = bulk.fetch_any(Debt, _DEBT_LOAD_FIELDS, loan_id={p.row.loan_id for p in ok})
        owners = {values[1] for values in loaded} - set(self.customers)
        if owners:
            self._remember(bulk.fetch_any(Customer, _CUSTOMER_LOAD_FIELDS, id=owners))
        for values in loaded:
            pk, customer_id, loan_id = values[:3]
            self.debts[_loan_key(loan_id)] = _Debt(pk, self.customers[customer_id], loan_id, dict(zip(DEBT_UPDATE_FIELDS, values[3:])))

        emails = {p.row.email for p in ok if p.row.email}
        self.email_owner: dict[str, object] = {c.email.lower(): c for c in self.customers.values() if c.email}
        unknown = emails - set(self.email_owner)
        if unknown:
            for email, owner_id in Customer.objects.filter(email__in=unknown).values_list("email", "pk"):
                self.email_owner[email.lower()] = self.customers.get(owner_id, owner_id)

        # Lines already imported with identical content (this file again, or
        # the same line in another file): skipped, pointing at what they matched.
        self.done_before: dict[str, tuple[int, int]] = {}
        fps = {p.fingerprint for p in ok}
        if fps:
            prior = (
                UploadRow.objects.filter(row_fingerprint__in=fps, status__in=SUCCESS_STATUSES, matched_debt__isnull=False)
                .order_by()
                .values_list("id", "row_fingerprint", "matched_customer_id", "matched_debt_id")
            )
            for _, fp, customer_id, debt_id in sorted(prior):  # the earliest import wins
                self.done_before.setdefault(fp, (customer_id, debt_id))

        self.new_customers: list[_Customer] = []
        self.new_debts: list[_Debt] = []
        self.changed_debts: dict[int, _Debt] = {}

    def _remember(self, rows) -> None:
        # Sorted by id: when several customers fit, the oldest is chosen, every run.
        for values in sorted(rows):
            if values[0] in self.customers:
                continue
            customer = _Customer(*values)
            self.customers[customer.pk] = customer
            self._index(customer)

    def _index(self, customer: _Customer) -> None:
        if customer.fingerprint:
            self.by_fingerprint.setdefault(customer.fingerprint, customer)
        self.by_phone.setdefault(customer.primary_phone, []).append(customer)

    def match_customer(self, p: _Prepared) -> tuple[_Customer | None, str]:
        row = p.row

        def conflicts(c: _Customer) -> bool:
            # Same phone, different national ID: a different person.
            return bool(p.nid_hash and c.national_id_hash and c.national_id_hash != p.nid_hash)

        candidates = self.by_phone.get(row.phone, [])
        if row.national_id:
            c = self.by_fingerprint.get(p.fp_nid)
            if c is None:
                c = next((c for c in candidates if c.national_id_hash and c.national_id_hash == p.nid_hash), None)
            if c is not None:
                return c, MatchMethod.PHONE_NATIONAL_ID
        c = self.by_fingerprint.get(p.fp_name)
        if c is not None and not conflicts(c):
            return c, MatchMethod.FINGERPRINT
        usable = [c for c in candidates if not conflicts(c)]
        same_name = [c for c in usable if c.norm_name == p.norm_name]
        if same_name:
            return same_name[0], MatchMethod.FINGERPRINT
        if len(usable) == 1:
            return usable[0], MatchMethod.PHONE
        # Several people share the phone and none has this name: guessing
        # would hang a loan on the wrong person, so this is a new customer.
        return None, ""

    def new_customer(self, p: _Prepared, uploaded_at: datetime) -> _Customer:
        row = p.row
        customer = _Customer(
            None, p.fp_nid or p.fp_name, row.name, row.phone,
            row.secondary_phone if row.secondary_phone != row.phone else "", p.nid_hash, None, row.state, uploaded_at,
        )
        customer.national_id = row.national_id
        if row.email and self.email_owner.get(row.email) is None:
            customer.email = row.email
            self.email_owner[row.email] = customer
        self.new_customers.append(customer)
        self._index(customer)
        return customer

    def update_customer(self, customer: _Customer, p: _Prepared, uploaded_at: datetime) -> None:
        """Fill in what the loan book knows; a matched customer's name and phone stay as they are."""
        row = p.row
        changed = customer.changed
        if row.state and customer.state != row.state:
            customer.state = row.state
            changed.add("state")
        if row.email and customer.email != row.email and self.email_owner.get(row.email) in (None, customer, customer.pk):
            if customer.email:
                self.email_owner.pop(customer.email.lower(), None)
            customer.email = row.email
            self.email_owner[row.email] = customer
            changed.add("email")
        if row.national_id and not customer.national_id_hash:
            customer.national_id = row.national_id
            customer.national_id_hash = p.nid_hash
            changed |= {"national_id", "national_id_hash"}
        if row.secondary_phone and not customer.secondary_phone and row.secondary_phone != customer.primary_phone:
            customer.secondary_phone = row.secondary_phone
            changed.add("secondary_phone")
        if customer.first_uploaded_at is None:
            customer.first_uploaded_at = uploaded_at
            changed.add("first_uploaded_at")
        if not customer.fingerprint:
            fp = customer_fingerprint(customer.primary_phone, customer.full_name, row.national_id or None)
            if fp not in self.by_fingerprint:
                customer.fingerprint = fp
                self.by_fingerprint[fp] = customer
                changed.add("fingerprint")

    def new_debt(self, customer: _Customer, p: _Prepared) -> _Debt:
        row = p.row
        debt = _Debt(None, customer, row.loan_id, {
            "original_amount": row.principal_amount if row.principal_amount is not None else row.amount,
            "current_balance": row.amount,
            "due_amount": row.due_amount,
            "due_date": row.due_date,
            "last_payment_date": row.last_paid_date,
            "last_payment_amount": row.last_paid_amount,
            "currency": row.currency or settings.DEFAULT_CURRENCY,
            "state": row.state,
            "cluster": row.cluster,
            "branch": row.branch,
            "branch_contact": row.branch_contact,
            "employee_name": row.employee_name,
            "employee_id": row.employee_id,
            "employee_contact": row.employee_contact,
            "status": DebtStatus.PAID_OFF if row.amount == 0 else DebtStatus.ACTIVE,
        })
        self.new_debts.append(debt)
        self.debts[_loan_key(row.loan_id)] = debt
        return debt

    @staticmethod
    def update_debt(debt: _Debt, p: _Prepared) -> bool:
        """Apply the loan book's values (a blank cell keeps what we have); True if anything changed."""
        row = p.row
        values = (
            ("current_balance", row.amount),
            ("original_amount", row.principal_amount),
            ("due_amount", row.due_amount),
            ("due_date", row.due_date),
            ("last_payment_date", row.last_paid_date),
            ("last_payment_amount", row.last_paid_amount),
            ("currency", row.currency or None),
            ("state", row.state or None),
            ("cluster", row.cluster or None),
            ("branch", row.branch or None),
            ("branch_contact", row.branch_contact or None),
            ("employee_name", row.employee_name or None),
            ("employee_id", row.employee_id or None),
            ("employee_contact", row.employee_contact or None),
        )
        changed = False
        for name, value in values:
            if value is not None and getattr(debt, name) != value:
                setattr(debt, name, value)
                changed = True
        # The loan book is the lender's ledger: a zero balance is paid off, a
        # paid-off loan with money owed again is active. Settled and
        # written-off debts keep the status staff gave them.
        if debt.current_balance == 0 and debt.status in (DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED):
            debt.status = DebtStatus.PAID_OFF
            changed = True
        elif debt.current_balance > 0 and debt.status == DebtStatus.PAID_OFF:
            debt.status = DebtStatus.ACTIVE
            changed = True
        return changed


def _loan_conflict(row: ParsedRow, owner: _Customer, customer: _Customer | None) -> str:
    where = f'line {row.line_number}, column "loan_id" = "{row.loan_id}"'
    if customer is None:
        return f"{where}: the loan belongs to a customer with a different national ID"
    return (f'{where}: the loan belongs to customer "{owner.full_name}" ({owner.primary_phone}), '
            f'but name/phone match "{customer.full_name}" ({customer.primary_phone})')


def _import_chunk(upload: FileUpload, prepared: list[_Prepared]) -> None:
    """One chunk, one transaction: customers, debts, upload rows and the upload's counters."""
    now = timezone.now()
    with transaction.atomic():
        # The row lock makes a chunk a claim: two processors of one upload
        # (a redelivered task next to a live one, a double "resume") take
        # turns, and the second one sees the lines as already done.
        locked = FileUpload.objects.select_for_update().only("id", "status", "last_line_number").get(pk=upload.pk)
        if locked.status in FINAL_STATUSES:
            raise _UploadFinished
        prepared = [p for p in prepared if p.record.line_number > locked.last_line_number]
        if not prepared:
            return
        state = _ChunkState(prepared)
        # (prepared, status, method, customer, debt, error); customer/debt are
        # objects, or ids for lines skipped as already imported.
        outcomes: list[tuple] = []
        first_ok: dict[str, int] = {}
        for p in prepared:
            row = p.row
            if not row.ok:
                outcomes.append((p, RowStatus.FAILED, "", None, None, row.error_text))
                continue
            if p.fingerprint in first_ok:
                _, _, _, customer, debt, _ = outcomes[first_ok[p.fingerprint]]
                outcomes.append((p, RowStatus.SKIPPED, MatchMethod.DUPLICATE_ROW, customer, debt, ""))
                continue
            if p.fingerprint in state.done_before:
                customer_id, debt_id = state.done_before[p.fingerprint]
                outcomes.append((p, RowStatus.SKIPPED, MatchMethod.DUPLICATE_ROW, customer_id, debt_id, ""))
                continue
            customer, method = state.match_customer(p)
            debt = state.debts.get(_loan_key(row.loan_id))
            if debt is not None:
                owner = debt.customer
                if customer is None:
                    if p.nid_hash and owner.national_id_hash and owner.national_id_hash != p.nid_hash:
                        outcomes.append((p, RowStatus.FAILED, "", None, None, _loan_conflict(row, owner, None)))
                        continue
                    # A loan we know, under a phone we don't: the loan's borrower.
                    customer, method = owner, MatchMethod.LOAN
                elif customer is not owner:
                    outcomes.append((p, RowStatus.FAILED, "", None, None, _loan_conflict(row, owner, customer)))
                    continue
            if customer is None:
                customer, method = state.new_customer(p, upload.uploaded_at), MatchMethod.NEW
            else:
                state.update_customer(customer, p, upload.uploaded_at)
            if debt is None:
                debt = state.new_debt(customer, p)
                status = RowStatus.CREATED
            else:
                changed = state.update_debt(debt, p)
                if changed and debt.pk is not None:
                    state.changed_debts[debt.pk] = debt
                status = RowStatus.UPDATED if changed else RowStatus.MATCHED
            first_ok[p.fingerprint] = len(outcomes)
            outcomes.append((p, status, method, customer, debt, ""))

        _write(state, upload, now)

        counts = dict.fromkeys(RowStatus.values, 0)
        matched_existing = set()
        stamp = bulk.db_now(now)
        rows = []
        for p, status, method, customer, debt, error in outcomes:
            counts[status] += 1
            if isinstance(customer, _Customer):
                if method not in (MatchMethod.NEW, MatchMethod.DUPLICATE_ROW) and customer.pk in state.customers:
                    matched_existing.add(customer.pk)
                customer = customer.pk
            rows.append({
                "line_number": p.record.line_number,
                "raw_data": p.raw_json,
                "row_fingerprint": p.fingerprint,
                "phone_normalized": p.row.phone,
                "matched_customer_id": customer,
                "matched_debt_id": debt.pk if isinstance(debt, _Debt) else debt,
                "match_method": method,
                "status": status,
                "error": error,
            })
        bulk.insert(UploadRow, rows, constants={
            "file_upload_id": upload.pk, "processed_at": stamp, "created_at": stamp, "updated_at": stamp,
        })
        FileUpload.objects.filter(pk=upload.pk).update(
            processed_records=F("processed_records") + len(rows),
            success_records=F("success_records") + counts[RowStatus.MATCHED] + counts[RowStatus.CREATED] + counts[RowStatus.UPDATED],
            failed_records=F("failed_records") + counts[RowStatus.FAILED],
            skipped_records=F("skipped_records") + counts[RowStatus.SKIPPED],
            debts_created=F("debts_created") + counts[RowStatus.CREATED],
            debts_updated=F("debts_updated") + counts[RowStatus.UPDATED],
            customers_created=F("customers_created") + len(state.new_customers),
            customers_matched=F("customers_matched") + len(matched_existing),
            last_line_number=prepared[-1].record.line_number,
            status=UploadStatus.PROCESSING,
            updated_at=now,
        )


def _write(state: _ChunkState, upload: FileUpload, now: datetime) -> None:
    """Customers, then debts (they need the customers' ids), as multi-row statements."""
    stamp = bulk.db_now(now)
    uploaded = bulk.db_now(upload.uploaded_at)
    if state.new_customers:
        ids = bulk.insert(Customer, [
            {
                "fingerprint": c.fingerprint,
                "full_name": c.full_name,
                "primary_phone": c.primary_phone,
                "secondary_phone": c.secondary_phone,
                "national_id": crypto.encrypt(c.national_id) if c.national_id else "",
                "national_id_hash": c.national_id_hash,
                "email": c.email or None,
                "state": c.state,
            }
            for c in state.new_customers
        ], constants={"created_at": stamp, "updated_at": stamp, "first_uploaded_at": uploaded}, returning=True)
        for customer, pk in zip(state.new_customers, ids):
            customer.pk = pk
    groups: dict[tuple[str, ...], list[dict]] = {}
    for pk in sorted(state.customers):
        customer = state.customers[pk]
        if not customer.changed:
            continue
        fields = tuple(sorted(customer.changed)) + ("updated_at",)
        values = {"id": pk, "updated_at": stamp}
        for name in customer.changed:
            value = getattr(customer, name)
            if name == "national_id":
                value = crypto.encrypt(value)
            elif name == "first_uploaded_at":
                value = uploaded
            elif name == "email":
                value = value or None
            values[name] = value
        groups.setdefault(fields, []).append(values)
    for fields, rows in groups.items():
        bulk.update(Customer, rows, list(fields))
    if state.new_debts:
        ids = bulk.insert(Debt, [
            {"customer_id": d.customer.pk, "loan_id": d.loan_id, **{name: getattr(d, name) for name in DEBT_UPDATE_FIELDS}}
            for d in state.new_debts
        ], constants={
            "created_at": stamp, "updated_at": stamp, "debt_type": DebtType.LOAN, "source_upload_id": upload.pk,
        }, returning=True)
        for debt, pk in zip(state.new_debts, ids):
            debt.pk = pk
    if state.changed_debts:
        bulk.update(Debt, [
            {"id": pk, "updated_at": stamp, **{name: getattr(d, name) for name in DEBT_UPDATE_FIELDS}}
            for pk, d in sorted(state.changed_debts.items())
        ], [*DEBT_UPDATE_FIELDS, "updated_at"])
