"""Writes for loan-book uploads (seeds 001 and 003).

Admin, API, Celery tasks and the ``import_loan_book`` command all come
through here:

* ``file_upload_create`` checks and stores a file and records the job;
* ``file_upload_process`` imports it chunk by chunk (the Celery task calls it);
* ``file_upload_resume`` puts an interrupted or failed job back on the queue.

This module is the write path for customers and debts that come from a loan
book. It writes them with ``bulk_create``/``bulk_update`` one chunk at a
time because an import of 100,000 lines must not cost 100,000 round trips;
the per-row rules (validation, matching, what an update changes) live here
and nowhere else.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, OperationalError, reset_queries, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from core.fields import lookup_hash
from core.masking import mask
from core.text import customer_fingerprint, normalize_name
from customers.models import Customer
from debts.choices import DebtStatus, DebtType
from debts.models import Debt
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
)
_NATIONAL_ID_HASH = Customer._meta.get_field("national_id_hash")


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
        transaction.on_commit(lambda: process_upload.delay(upload_id))
    return upload


@transaction.atomic
def file_upload_resume(*, upload_id: int) -> FileUpload:
    """Queue an interrupted, stalled or failed upload again; it continues after its last committed chunk."""
    upload = FileUpload.objects.select_for_update().get(pk=upload_id)
    if upload.status in FINAL_STATUSES:
        raise UploadRejected(f"upload #{upload.pk} is already {upload.get_status_display().lower()}")
    if not upload.file:
        raise UploadRejected(f"upload #{upload.pk} has no stored file to resume from")
    from uploads.tasks import process_upload

    transaction.on_commit(lambda: process_upload.delay(upload_id))
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
        while True:
            batch = list(islice(records, chunk_size))
            if not batch:
                break
            _import_chunk_with_retry(upload, batch, reader.header_map, region)
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


def _import_chunk_with_retry(upload: FileUpload, records: list[Record], header_map: HeaderMap, region: str) -> None:
    prepared = [_prepare(record, header_map, region) for record in records]
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            _import_chunk(upload, prepared, uploaded_at=upload.uploaded_at)
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


@dataclass
class _Prepared:
    record: Record
    row: ParsedRow
    raw: dict
    fingerprint: str
    nid_hash: str | None


def _prepare(record: Record, header_map: HeaderMap, region: str) -> _Prepared:
    row = parse_record(record, header_map, region=region)
    raw = record.raw
    nid_hash = None
    nid_header = header_map.headers[header_map.field_index["national_id"]] if "national_id" in header_map.field_index else None
    canonical = {normalize_header(k): v for k, v in raw.items()}
    if nid_header and raw.get(nid_header):
        nid_hash = _NATIONAL_ID_HASH.compute(raw[nid_header])
        # Never keep a national ID in clear: raw data is shown in the admin,
        # the API and the failed-rows export. The fingerprint uses its keyed hash.
        canonical[normalize_header(nid_header)] = nid_hash or ""
        raw = {**raw, nid_header: mask(raw[nid_header])}
    if record.extra_cells:
        raw = {**raw, "_extra_cells": record.extra_cells}
        canonical["_extra_cells"] = record.extra_cells
    blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _Prepared(record, row, raw, hashlib.sha256(blob.encode("utf-8")).hexdigest(), nid_hash)


class _ChunkState:
    """What one chunk knows about existing customers and debts (a few IN queries), plus what it creates."""

    def __init__(self, prepared: list[_Prepared], upload_id: int):
        ok = [p for p in prepared if p.row.ok]
        phones = {p.row.phone for p in ok}
        fingerprints = set()
        for p in ok:
            fingerprints.add(customer_fingerprint(p.row.phone, p.row.name))
            if p.row.national_id:
                fingerprints.add(customer_fingerprint(p.row.phone, p.row.name, p.row.national_id))
        self.customers: dict[int, Customer] = {}
        self.by_fingerprint: dict[str, Customer] = {}
        self.by_phone: dict[str, list[Customer]] = {}
        qs = Customer.objects.only(*_CUSTOMER_LOAD_FIELDS).order_by("id")
        if phones:
            for customer in qs.filter(primary_phone__in=phones):
                self._remember(customer)
        missing_fps = fingerprints - set(self.by_fingerprint)
        if missing_fps:
            for customer in qs.filter(fingerprint__in=missing_fps):
                self._remember(customer)

        self.debts: dict[str, Debt] = {}
        loan_ids = {p.row.loan_id for p in ok}
        if loan_ids:
            for debt in Debt.objects.only(*_DEBT_LOAD_FIELDS).filter(loan_id__in=loan_ids):
                self.debts[debt.loan_id] = debt
        owners = {d.customer_id for d in self.debts.values()} - set(self.customers)
        if owners:
            for customer in qs.filter(pk__in=owners):
                self._remember(customer)
        self.owner: dict[int, Customer] = {id(d): self.customers[d.customer_id] for d in self.debts.values()}

        emails = {p.row.email for p in ok if p.row.email}
        self.email_owner: dict[str, Customer | int] = {}
        for c in self.customers.values():
            if c.email:
                self.email_owner[c.email.lower()] = c
        if emails - set(self.email_owner):
            for email, owner_id in Customer.objects.filter(email__in=emails - set(self.email_owner)).values_list("email", "pk"):
                self.email_owner[email.lower()] = self.customers.get(owner_id, owner_id)

        # Rows already imported with identical content (this file again, or
        # the same line in another file): skipped, pointing at what they matched.
        self.done_before: dict[str, tuple[int, int]] = {}
        fps = {p.fingerprint for p in ok}
        if fps:
            prior = (
                UploadRow.objects.filter(row_fingerprint__in=fps, status__in=SUCCESS_STATUSES, matched_debt__isnull=False)
                .order_by("id")
                .values_list("row_fingerprint", "matched_customer_id", "matched_debt_id")
            )
            for fp, customer_id, debt_id in prior:
                self.done_before.setdefault(fp, (customer_id, debt_id))

        self.new_customers: list[Customer] = []
        self.new_debts: list[Debt] = []
        self.changed_customers: dict[int, set[str]] = {}
        self.changed_debts: dict[int, Debt] = {}

    def _remember(self, customer: Customer) -> None:
        if customer.pk in self.customers:
            return
        customer._norm_name = normalize_name(customer.full_name)
        self.customers[customer.pk] = customer
        self._index(customer)

    def _index(self, customer: Customer) -> None:
        if customer.fingerprint:
            self.by_fingerprint.setdefault(customer.fingerprint, customer)
        self.by_phone.setdefault(customer.primary_phone, []).append(customer)

    def match_customer(self, p: _Prepared) -> tuple[Customer | None, str]:
        row = p.row

        def conflicts(c: Customer) -> bool:
            # Same phone, different national ID: a different person.
            return bool(p.nid_hash and c.national_id_hash and c.national_id_hash != p.nid_hash)

        candidates = self.by_phone.get(row.phone, [])
        if row.national_id:
            c = self.by_fingerprint.get(customer_fingerprint(row.phone, row.name, row.national_id))
            if c is None:
                c = next((c for c in candidates if c.national_id_hash and c.national_id_hash == p.nid_hash), None)
            if c is not None:
                return c, MatchMethod.PHONE_NATIONAL_ID
        c = self.by_fingerprint.get(customer_fingerprint(row.phone, row.name))
        if c is not None and not conflicts(c):
            return c, MatchMethod.FINGERPRINT
        usable = [c for c in candidates if not conflicts(c)]
        name = normalize_name(row.name)
        same_name = [c for c in usable if c._norm_name == name]
        if same_name:
            return same_name[0], MatchMethod.FINGERPRINT
        if len(usable) == 1:
            return usable[0], MatchMethod.PHONE
        # Several people share the phone and none has this name: guessing
        # would hang a loan on the wrong person, so this is a new customer.
        return None, ""

    def new_customer(self, p: _Prepared, uploaded_at: datetime) -> Customer:
        row = p.row
        customer = Customer(
            fingerprint=customer_fingerprint(row.phone, row.name, row.national_id or None),
            full_name=row.name,
            primary_phone=row.phone,
            secondary_phone=row.secondary_phone if row.secondary_phone != row.phone else "",
            national_id=row.national_id,
            state=row.state,
            first_uploaded_at=uploaded_at,
        )
        customer.national_id_hash = p.nid_hash
        customer._norm_name = normalize_name(row.name)
        if row.email and self.email_owner.get(row.email) is None:
            customer.email = row.email
            self.email_owner[row.email] = customer
        self.new_customers.append(customer)
        self._index(customer)
        return customer

    def update_customer(self, customer: Customer, p: _Prepared, uploaded_at: datetime) -> None:
        """Fill in what the loan book knows; a matched customer's name and phone stay as they are."""
        row = p.row
        changed = set()
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
        if changed and customer.pk is not None:
            self.changed_customers.setdefault(customer.pk, set()).update(changed)

    def new_debt(self, customer: Customer, p: _Prepared, upload_id: int) -> Debt:
        row = p.row
        debt = Debt(
            customer=customer,
            loan_id=row.loan_id,
            debt_type=DebtType.LOAN,
            original_amount=row.principal_amount if row.principal_amount is not None else row.amount,
            current_balance=row.amount,
            due_amount=row.due_amount,
            due_date=row.due_date,
            last_payment_date=row.last_paid_date,
            last_payment_amount=row.last_paid_amount,
            currency=row.currency or settings.DEFAULT_CURRENCY,
            state=row.state,
            cluster=row.cluster,
            branch=row.branch,
            branch_contact=row.branch_contact,
            employee_name=row.employee_name,
            employee_id=row.employee_id,
            employee_contact=row.employee_contact,
            status=DebtStatus.PAID_OFF if row.amount == 0 else DebtStatus.ACTIVE,
            source_upload_id=upload_id,
        )
        self.new_debts.append(debt)
        self.debts[row.loan_id] = debt
        self.owner[id(debt)] = customer
        return debt

    @staticmethod
    def update_debt(debt: Debt, p: _Prepared) -> bool:
        """Apply the loan book's values (a blank cell keeps what we have); True if anything changed."""
        row = p.row
        values = {
            "current_balance": row.amount,
            "original_amount": row.principal_amount,
            "due_amount": row.due_amount,
            "due_date": row.due_date,
            "last_payment_date": row.last_paid_date,
            "last_payment_amount": row.last_paid_amount,
            "currency": row.currency or None,
            "state": row.state or None,
            "cluster": row.cluster or None,
            "branch": row.branch or None,
            "branch_contact": row.branch_contact or None,
            "employee_name": row.employee_name or None,
            "employee_id": row.employee_id or None,
            "employee_contact": row.employee_contact or None,
        }
        changed = False
        for name, value in values.items():
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


def _import_chunk(upload: FileUpload, prepared: list[_Prepared], *, uploaded_at: datetime) -> None:
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
        state = _ChunkState(prepared, upload.pk)
        rows: list[UploadRow] = []
        outcomes: list[tuple] = []  # (prepared, status, method, customer, debt, error)
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
            debt = state.debts.get(row.loan_id)
            if debt is not None:
                owner = state.owner[id(debt)]
                if customer is None:
                    customer, method = owner, MatchMethod.LOAN
                    if p.nid_hash and owner.national_id_hash and owner.national_id_hash != p.nid_hash:
                        outcomes.append((p, RowStatus.FAILED, "", None, None,
                                         f'line {row.line_number}, column "loan_id" = "{row.loan_id}": the loan belongs to a '
                                         f"customer with a different national ID"))
                        continue
                elif customer is not owner:
                    outcomes.append((p, RowStatus.FAILED, "", None, None,
                                     f'line {row.line_number}, column "loan_id" = "{row.loan_id}": the loan belongs to customer '
                                     f'"{owner.full_name}" ({owner.primary_phone}), but name/phone match "{customer.full_name}" '
                                     f"({customer.primary_phone})"))
                    continue
            if customer is None:
                customer, method = state.new_customer(p, uploaded_at), MatchMethod.NEW
            else:
                state.update_customer(customer, p, uploaded_at)
            if debt is None:
                debt = state.new_debt(customer, p, upload.pk)
                status = RowStatus.CREATED
            else:
                changed = state.update_debt(debt, p)
                if changed and debt.pk is not None:
                    state.changed_debts[debt.pk] = debt
                status = RowStatus.UPDATED if changed else RowStatus.MATCHED
            first_ok[p.fingerprint] = len(outcomes)
            outcomes.append((p, status, method, customer, debt, ""))

        _write(state, now)

        counts = {s: 0 for s in RowStatus.values}
        matched_existing = set()
        for p, status, method, customer, debt, error in outcomes:
            counts[status] += 1
            row = UploadRow(
                file_upload_id=upload.pk,
                line_number=p.record.line_number,
                raw_data=p.raw,
                row_fingerprint=p.fingerprint,
                phone_normalized=p.row.phone,
                match_method=method,
                status=status,
                error=error,
                processed_at=now,
                created_at=now,
                updated_at=now,
            )
            if isinstance(customer, Customer):
                row.matched_customer_id = customer.pk
                if method not in ("", MatchMethod.NEW, MatchMethod.DUPLICATE_ROW) and customer.pk in state.customers:
                    matched_existing.add(customer.pk)
            else:
                row.matched_customer_id = customer
            row.matched_debt_id = debt.pk if isinstance(debt, Debt) else debt
            rows.append(row)
        UploadRow.objects.bulk_create(rows, batch_size=1000)
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


def _write(state: _ChunkState, now: datetime) -> None:
    if state.new_customers:
        # MariaDB >= 10.5 returns the new ids (RETURNING); debts need them.
        Customer.objects.bulk_create(state.new_customers, batch_size=500)
    groups: dict[tuple[str, ...], list[Customer]] = {}
    for pk in sorted(state.changed_customers):
        fields = tuple(sorted(state.changed_customers[pk] | {"updated_at"}))
        customer = state.customers[pk]
        customer.updated_at = now
        groups.setdefault(fields, []).append(customer)
    for fields, customers in groups.items():
        # bulk_update skips pre_save: updated_at and national_id_hash are set above.
        Customer.objects.bulk_update(customers, fields, batch_size=200)
    if state.new_debts:
        for debt in state.new_debts:
            debt.customer = state.owner[id(debt)]
        Debt.objects.bulk_create(state.new_debts, batch_size=500)
    if state.changed_debts:
        debts = [state.changed_debts[pk] for pk in sorted(state.changed_debts)]
        for debt in debts:
            debt.updated_at = now
        # Small batches: MySQL evaluates bulk_update's CASE per row, so the
        # cost grows with batch size squared.
        Debt.objects.bulk_update(debts, [*DEBT_UPDATE_FIELDS, "updated_at"], batch_size=100)


def import_counts(upload: FileUpload) -> ImportCounts:
    return ImportCounts.of(upload)
