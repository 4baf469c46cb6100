"""Writing what matching decided for one chunk: new and changed customers,
then loans (they need the customers' ids), then the upload rows, each as
multi-row statements (an import of 100,000 lines must not cost 100,000
round trips).

Bulk writes bypass model ``save()``, so loan-book changes leave no
django-simple-history entries: the UploadRow (raw line, what it matched,
when) is the audit trail of every change.
"""
from __future__ import annotations

from datetime import datetime

from core import bulk, crypto
from customers.models import Customer
from debts.choices import DebtType
from debts.models import Debt
from uploads.matching import DEBT_UPDATE_FIELDS, CustomerRecord, DebtRecord, LoanBookIndex, Outcome
from uploads.models import FileUpload, UploadRow


def _insert_customers(index: LoanBookIndex, stamp, uploaded) -> None:
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
        for c in index.new_customers
    ], constants={"created_at": stamp, "updated_at": stamp, "first_uploaded_at": uploaded}, returning=True)
    for customer, pk in zip(index.new_customers, ids, strict=True):
        customer.pk = pk


def _changed_values(customer: CustomerRecord, stamp, uploaded) -> dict:
    values = {"id": customer.pk, "updated_at": stamp}
    for name in customer.changed:
        value = getattr(customer, name)
        if name == "national_id":
            value = crypto.encrypt(value)
        elif name == "first_uploaded_at":
            value = uploaded
        elif name == "email":
            value = value or None
        values[name] = value
    return values


def _update_customers(index: LoanBookIndex, stamp, uploaded) -> None:
    # One UPDATE per set of changed fields.
    groups: dict[tuple[str, ...], list[dict]] = {}
    for pk in sorted(index.customers):
        customer = index.customers[pk]
        if not customer.changed:
            continue
        fields = tuple(sorted(customer.changed)) + ("updated_at",)
        groups.setdefault(fields, []).append(_changed_values(customer, stamp, uploaded))
    for fields, rows in groups.items():
        bulk.update(Customer, rows, list(fields))


def _write_debts(index: LoanBookIndex, upload: FileUpload, stamp) -> None:
    if index.new_debts:
        ids = bulk.insert(Debt, [
            {"customer_id": d.customer.pk, "loan_id": d.loan_id, **{name: getattr(d, name) for name in DEBT_UPDATE_FIELDS}}
            for d in index.new_debts
        ], constants={
            "created_at": stamp, "updated_at": stamp, "debt_type": DebtType.LOAN, "source_upload_id": upload.pk,
        }, returning=True)
        for debt, pk in zip(index.new_debts, ids, strict=True):
            debt.pk = pk
    if index.changed_debts:
        bulk.update(Debt, [
            {"id": pk, "updated_at": stamp, **{name: getattr(d, name) for name in DEBT_UPDATE_FIELDS}}
            for pk, d in sorted(index.changed_debts.items())
        ], [*DEBT_UPDATE_FIELDS, "updated_at"])


def write_matches(index: LoanBookIndex, upload: FileUpload, now: datetime) -> None:
    """Customers, then debts (they need the customers' ids), as multi-row statements."""
    stamp = bulk.db_now(now)
    uploaded = bulk.db_now(upload.uploaded_at)
    if index.new_customers:
        _insert_customers(index, stamp, uploaded)
    _update_customers(index, stamp, uploaded)
    _write_debts(index, upload, stamp)


def upload_row(outcome: Outcome) -> dict:
    """The UploadRow values of one line (after ``write_matches``: new customers and loans have ids)."""
    line, customer, debt = outcome.line, outcome.customer, outcome.debt
    return {
        "line_number": line.record.line_number,
        "raw_data": line.raw_json,
        "row_fingerprint": line.fingerprint,
        "phone_normalized": line.row.phone,
        "matched_customer_id": customer.pk if isinstance(customer, CustomerRecord) else customer,
        "matched_debt_id": debt.pk if isinstance(debt, DebtRecord) else debt,
        "match_method": outcome.method,
        "status": outcome.status,
        "error": outcome.error,
    }


def insert_upload_rows(upload: FileUpload, rows: list[dict], now: datetime) -> None:
    stamp = bulk.db_now(now)
    bulk.insert(UploadRow, rows, constants={
        "file_upload_id": upload.pk, "processed_at": stamp, "created_at": stamp, "updated_at": stamp,
    })
