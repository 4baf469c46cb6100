"""Writing what matching decided for one chunk: new and changed customers,
then loans (they need the customers' ids), then the upload rows, each as
multi-row statements (an import of 100,000 lines must not cost 100,000
round trips).

Bulk writes bypass model ``save()``, so the django-simple-history rows of
the customers and loans a chunk created or changed are written here too, in
bulk (``write_history``: one INSERT … SELECT per table and kind, a snapshot
of the rows as they now are), next to the UploadRow (raw line, what it
matched, when).
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from django.db import connection

from core import bulk, crypto
from customers.models import Customer
from debts.choices import DebtType
from debts.models import Debt
from uploads.matching import DEBT_UPDATE_FIELDS, CustomerRecord, DebtRecord, LoanBookIndex, Outcome
from uploads.models import FileUpload, UploadRow, UploadRowReview
from uploads.parsing import ParsedRow


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
        "line_number": line.line_number,
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


# --------------------------------------------------------------------------- history


def _insert_history(model, ids: list[int], *, history_type: str, stamp, user_id: int | None, reason: str) -> None:
    """A history row per id: a snapshot of the row as it now is, written by the database itself."""
    if not ids:
        return
    qn = connection.ops.quote_name
    historical = model.history.model
    base_columns = {f.column for f in model._meta.concrete_fields}
    columns = [f.column for f in historical._meta.concrete_fields if f.column in base_columns]
    names = ", ".join(qn(c) for c in columns)
    head = (
        f"INSERT INTO {qn(historical._meta.db_table)} ({names}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {names}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} WHERE {qn(model._meta.pk.column)} IN "
    )
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            batch = ids[start : start + 5000]
            cursor.execute(head + "(" + ", ".join(["%s"] * len(batch)) + ")", [stamp, reason[:100], history_type, user_id, *batch])


def write_history(index: LoanBookIndex, now: datetime, *, user_id: int | None, reason: str) -> None:
    """History rows for the customers and loans ``write_matches`` created (+) or changed (~)."""
    stamp = bulk.db_now(now)
    new_customers = [c.pk for c in index.new_customers]
    created = set(new_customers)
    changed_customers = [pk for pk, c in index.customers.items() if c.changed and pk not in created]
    _insert_history(Customer, new_customers, history_type="+", stamp=stamp, user_id=user_id, reason=reason)
    _insert_history(Customer, sorted(changed_customers), history_type="~", stamp=stamp, user_id=user_id, reason=reason)
    _insert_history(Debt, [d.pk for d in index.new_debts], history_type="+", stamp=stamp, user_id=user_id, reason=reason)
    _insert_history(Debt, sorted(index.changed_debts), history_type="~", stamp=stamp, user_id=user_id, reason=reason)


# --------------------------------------------------------------------------- the review queue


def row_values(row: ParsedRow) -> dict:
    """A parsed line as JSON (amounts and dates as text, the national ID encrypted)."""
    values = {}
    for f in dataclasses.fields(row):
        value = getattr(row, f.name)
        if f.name == "errors":
            continue
        if f.name == "national_id" and value:
            value = crypto.encrypt(value)
        elif isinstance(value, (Decimal, date)):
            value = str(value) if isinstance(value, Decimal) else value.isoformat()
        values[f.name] = value
    return values


_DECIMALS = ("amount", "due_amount", "last_paid_amount", "principal_amount")
_DATES = ("due_date", "last_paid_date")


def parsed_row(values: dict) -> ParsedRow:
    """``row_values`` read back."""
    kwargs = dict(values)
    for name in _DECIMALS:
        if kwargs.get(name) is not None:
            kwargs[name] = Decimal(kwargs[name])
    for name in _DATES:
        if kwargs.get(name):
            kwargs[name] = date.fromisoformat(kwargs[name])
    if kwargs.get("national_id"):
        kwargs["national_id"] = crypto.decrypt(kwargs["national_id"])
    return ParsedRow(**kwargs)


def insert_reviews(upload: FileUpload, outcomes: list[Outcome]) -> None:
    """The review entry of each line that waits for review (after its UploadRow is written)."""
    waiting = [o for o in outcomes if o.review_kind]
    if not waiting:
        return
    ids = dict(
        UploadRow.objects.filter(file_upload_id=upload.pk, line_number__in=[o.line.row.line_number for o in waiting])
        .values_list("line_number", "id")
    )
    UploadRowReview.objects.bulk_create([
        UploadRowReview(
            row_id=ids[o.line.row.line_number], kind=o.review_kind, reason=o.error,
            candidate_customer_id=o.candidate.pk if o.candidate else None,
            candidate_debt_id=o.candidate_debt.pk if o.candidate_debt else None,
            values=row_values(o.line.row),
        )
        for o in waiting
    ])
