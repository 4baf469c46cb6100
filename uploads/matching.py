"""The loan-book matching rules, over plain data: no ORM, no database.

A line of a loan book names a person (name, phone, maybe a national ID) and
a loan (``loan_id``). Matching decides, line by line:

* the customer: the same phone and national ID; else the same phone and
  name (the customer fingerprint); else the only customer on that phone with
  no other national ID; else a new customer;
* the loan: the same ``loan_id`` (case-insensitively, as the database
  compares them). A known loan of another person fails the line with the
  reason, rather than moving the loan;
* what changes: a new customer or loan, or the loan book's values on a known
  one (a blank cell keeps what we have).

``uploads.services.process`` loads what a chunk knows into a
``LoanBookIndex``, calls ``match_lines`` and writes what it decided.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from core import text as core_text
from debts.rules import Status as DebtStatus
from debts.rules import status_after_balance_change

if TYPE_CHECKING:
    from collections.abc import Iterable

    from uploads.parsing import ParsedRow


class MatchMethod(StrEnum):
    """How a line found its customer, as stored in ``UploadRow.match_method``.

    Spelled here rather than imported from ``uploads.choices`` (Django
    ``TextChoices``) so the rules stay free of Django and mypy checks them
    strictly; ``test_matching`` proves the two agree, as for ``RowStatus``.
    """

    FINGERPRINT = "fingerprint"
    PHONE_NATIONAL_ID = "phone_national_id"
    PHONE = "phone"
    LOAN = "loan"
    NEW = "new"
    DUPLICATE_ROW = "duplicate_row"


class RowStatus(StrEnum):
    """What became of a line, as stored in ``UploadRow.status``."""

    PENDING = "pending"
    MATCHED = "matched"
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"


# Loan books repeat customers on many lines; the same names and phones are
# normalised and hashed once per process, not once per line.
normalize_name = lru_cache(maxsize=65536)(core_text.normalize_name)
customer_fingerprint = lru_cache(maxsize=65536)(core_text.customer_fingerprint)


class Line:
    """One loan-book line as matching sees it: the parsed values and the keys derived from them."""

    __slots__ = ("row", "fingerprint", "nid_hash", "fp_name", "fp_nid", "norm_name")

    def __init__(self, row: ParsedRow, fingerprint: str, nid_hash: str | None):
        # ``fingerprint`` identifies the line's content (a line seen before is
        # skipped); ``nid_hash`` is the national ID's keyed hash.
        self.row, self.fingerprint, self.nid_hash = row, fingerprint, nid_hash
        self.fp_name: str | None = None
        self.fp_nid: str | None = None
        self.norm_name: str | None = None
        if row.ok:
            self.fp_name = customer_fingerprint(row.phone, row.name)
            self.fp_nid = customer_fingerprint(row.phone, row.name, row.national_id) if row.national_id else None
            self.norm_name = normalize_name(row.name)


@dataclass(slots=True, eq=False)
class CustomerRecord:
    """What matching needs of a customer; cheaper than a model instance by an order of magnitude.

    Compared by identity (``eq=False``): two records are one customer only
    when they are the same object. ``changed`` names the fields a line set.
    """

    pk: int | None
    fingerprint: str
    full_name: str
    primary_phone: str
    secondary_phone: str
    national_id_hash: str | None
    email: str | None
    state: str
    first_uploaded_at: datetime | None
    national_id: str = ""
    norm_name: str = field(init=False)
    changed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.norm_name = normalize_name(self.full_name)


@dataclass(slots=True, eq=False)
class DebtRecord:
    """A loan: its borrower, its ``loan_id`` and the values a loan book sets (``DEBT_UPDATE_FIELDS``)."""

    pk: int | None
    customer: CustomerRecord
    loan_id: str
    original_amount: Decimal | None = None
    current_balance: Decimal | None = None
    due_amount: Decimal | None = None
    due_date: date | None = None
    last_payment_date: date | None = None
    last_payment_amount: Decimal | None = None
    currency: str | None = None
    state: str | None = None
    cluster: str | None = None
    branch: str | None = None
    branch_contact: str | None = None
    employee_name: str | None = None
    employee_id: str | None = None
    employee_contact: str | None = None
    status: str = ""


# The Debt columns a loan book writes, in DebtRecord's order.
DEBT_UPDATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(DebtRecord))[3:]


@dataclass(slots=True)
class Outcome:
    """What matching decided for one line. ``customer``/``debt`` are records,
    or ids for a line skipped as imported before."""

    line: Line
    status: str
    method: str = ""
    customer: CustomerRecord | int | None = None
    debt: DebtRecord | int | None = None
    error: str = ""


def loan_key(loan_id: str) -> str:
    # The database compares loan ids case-insensitively (utf8mb4_unicode_ci,
    # unique index): "ln-1001" is the loan "LN-1001", here as there.
    return loan_id.casefold()


def other_national_id(line: Line, customer: CustomerRecord) -> bool:
    """Same phone, different national ID: a different person."""
    return bool(line.nid_hash and customer.national_id_hash and customer.national_id_hash != line.nid_hash)


def loan_conflict(row: ParsedRow, owner: CustomerRecord, customer: CustomerRecord | None) -> str:
    """Why a line naming a known loan fails: the loan's borrower is not the person on the line."""
    where = f'line {row.line_number}, column "loan_id" = "{row.loan_id}"'
    if customer is None:
        return f"{where}: the loan belongs to a customer with a different national ID"
    return (f'{where}: the loan belongs to customer "{owner.full_name}" ({owner.primary_phone}), '
            f'but name/phone match "{customer.full_name}" ({customer.primary_phone})')


def loan_borrower(
    line: Line, owner: CustomerRecord, customer: CustomerRecord | None, method: str
) -> tuple[CustomerRecord | None, str, str]:
    """The borrower of a line whose loan we know: (customer, match method, conflict message or "")."""
    if customer is None:
        if other_national_id(line, owner):
            return None, "", loan_conflict(line.row, owner, None)
        # A loan we know, under a phone we don't: the loan's borrower.
        return owner, MatchMethod.LOAN, ""
    if customer is not owner:
        return None, "", loan_conflict(line.row, owner, customer)
    return customer, method, ""


def debt_status(*, status: str, balance: Decimal | None, default_after_days: int) -> str:
    """The loan book is the lender's ledger: a zero balance is paid off, a
    paid-off loan with money owed again is active (``debts.rules``). It does
    not say how overdue a loan is (the delinquency run works that out), so a
    reopened loan is not overdue here. No balance, no change."""
    if balance is None:
        return status
    return status_after_balance_change(status=status, balance=balance, days_past_due=0, default_after_days=default_after_days)


def update_debt(debt: DebtRecord, row: ParsedRow, *, default_after_days: int) -> bool:
    """Apply the loan book's values (a blank cell keeps what we have); True if anything changed."""
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
    # Settled and written-off debts keep the status staff gave them.
    status = debt_status(status=debt.status, balance=debt.current_balance, default_after_days=default_after_days)
    if status != debt.status:
        debt.status = status
        changed = True
    return changed


class LoanBookIndex:
    """The customers and loans one chunk knows (loaded by the caller), plus what it creates."""

    def __init__(self) -> None:
        self.customers: dict[int, CustomerRecord] = {}
        self.by_fingerprint: dict[str, CustomerRecord] = {}
        self.by_phone: dict[str, list[CustomerRecord]] = {}
        self.debts: dict[str, DebtRecord] = {}
        # Lower-cased email -> its owner: a record, or the id of a customer not loaded.
        self.email_owner: dict[str, CustomerRecord | int] = {}
        # Line fingerprint -> (customer id, debt id) of its first import.
        self.done_before: dict[str, tuple[int, int]] = {}
        self.new_customers: list[CustomerRecord] = []
        self.new_debts: list[DebtRecord] = []
        self.changed_debts: dict[int, DebtRecord] = {}

    def remember_customers(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Index customers given as ``CustomerRecord`` argument tuples (pk first)."""
        # Sorted by id: when several customers fit, the oldest is chosen, every run.
        for values in sorted(rows):
            if values[0] in self.customers:
                continue
            customer = CustomerRecord(*values)
            self.customers[values[0]] = customer
            self._index(customer)

    def remember_debt(self, pk: int, customer_id: int, loan_id: str, values: dict[str, Any]) -> None:
        """Index a known loan of customer ``customer_id`` (remembered already)."""
        self.debts[loan_key(loan_id)] = DebtRecord(pk, self.customers[customer_id], loan_id, **values)

    def _index(self, customer: CustomerRecord) -> None:
        if customer.fingerprint:
            self.by_fingerprint.setdefault(customer.fingerprint, customer)
        self.by_phone.setdefault(customer.primary_phone, []).append(customer)

    def match_customer(self, line: Line) -> tuple[CustomerRecord | None, str]:
        """The customer a line names and how it was found, or (None, "") for a new one."""
        row = line.row
        candidates = self.by_phone.get(row.phone, [])
        if row.national_id:
            c = self.by_fingerprint.get(line.fp_nid) if line.fp_nid else None
            if c is None:
                c = next((c for c in candidates if c.national_id_hash and c.national_id_hash == line.nid_hash), None)
            if c is not None:
                return c, MatchMethod.PHONE_NATIONAL_ID
        c = self.by_fingerprint.get(line.fp_name) if line.fp_name else None
        if c is not None and not other_national_id(line, c):
            return c, MatchMethod.FINGERPRINT
        usable = [c for c in candidates if not other_national_id(line, c)]
        same_name = [c for c in usable if c.norm_name == line.norm_name]
        if same_name:
            return same_name[0], MatchMethod.FINGERPRINT
        if len(usable) == 1:
            return usable[0], MatchMethod.PHONE
        # Several people share the phone and none has this name: guessing
        # would hang a loan on the wrong person, so this is a new customer.
        return None, ""

    def new_customer(self, line: Line, uploaded_at: datetime) -> CustomerRecord:
        row = line.row
        customer = CustomerRecord(
            None, line.fp_nid or line.fp_name or "", row.name, row.phone,
            row.secondary_phone if row.secondary_phone != row.phone else "", line.nid_hash, None, row.state, uploaded_at,
        )
        customer.national_id = row.national_id
        if row.email and self.email_owner.get(row.email) is None:
            customer.email = row.email
            self.email_owner[row.email] = customer
        self.new_customers.append(customer)
        self._index(customer)
        return customer

    def update_customer(self, customer: CustomerRecord, line: Line, uploaded_at: datetime) -> None:
        """Fill in what the loan book knows; a matched customer's name and phone stay as they are."""
        row = line.row
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
            customer.national_id_hash = line.nid_hash
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

    def new_debt(self, customer: CustomerRecord, row: ParsedRow, *, currency: str, default_after_days: int) -> DebtRecord:
        """A loan the index did not know, with the line's values (``currency`` when the line has none)."""
        debt = DebtRecord(
            None, customer, row.loan_id,
            original_amount=row.principal_amount if row.principal_amount is not None else row.amount,
            current_balance=row.amount,
            due_amount=row.due_amount,
            due_date=row.due_date,
            last_payment_date=row.last_paid_date,
            last_payment_amount=row.last_paid_amount,
            currency=row.currency or currency,
            state=row.state,
            cluster=row.cluster,
            branch=row.branch,
            branch_contact=row.branch_contact,
            employee_name=row.employee_name,
            employee_id=row.employee_id,
            employee_contact=row.employee_contact,
            status=debt_status(status=DebtStatus.ACTIVE, balance=row.amount, default_after_days=default_after_days),
        )
        self.new_debts.append(debt)
        self.debts[loan_key(row.loan_id)] = debt
        return debt


@dataclass
class Matcher:
    """Matches the lines of one chunk against ``index``, in order, updating it as it goes."""

    index: LoanBookIndex
    uploaded_at: datetime
    currency: str
    default_after_days: int
    # Line fingerprint -> the outcome of its first good line in this chunk.
    first_ok: dict[str, Outcome] = field(default_factory=dict)

    def match(self, line: Line) -> Outcome:
        row = line.row
        if not row.ok:
            return Outcome(line, RowStatus.FAILED, error=row.error_text)
        earlier = self.first_ok.get(line.fingerprint)
        if earlier is not None:
            return Outcome(line, RowStatus.SKIPPED, MatchMethod.DUPLICATE_ROW, earlier.customer, earlier.debt)
        before = self.index.done_before.get(line.fingerprint)
        if before is not None:
            return Outcome(line, RowStatus.SKIPPED, MatchMethod.DUPLICATE_ROW, *before)
        customer, method = self.index.match_customer(line)
        debt = self.index.debts.get(loan_key(row.loan_id))
        if debt is not None:
            customer, method, conflict = loan_borrower(line, debt.customer, customer, method)
            if conflict:
                return Outcome(line, RowStatus.FAILED, error=conflict)
        outcome = self._apply(line, customer, method, debt)
        self.first_ok[line.fingerprint] = outcome
        return outcome

    def _apply(self, line: Line, customer: CustomerRecord | None, method: str, debt: DebtRecord | None) -> Outcome:
        """Create or update the customer and the loan a good line names."""
        index = self.index
        if customer is None:
            customer, method = index.new_customer(line, self.uploaded_at), MatchMethod.NEW
        else:
            index.update_customer(customer, line, self.uploaded_at)
        if debt is None:
            debt = index.new_debt(customer, line.row, currency=self.currency, default_after_days=self.default_after_days)
            return Outcome(line, RowStatus.CREATED, method, customer, debt)
        changed = update_debt(debt, line.row, default_after_days=self.default_after_days)
        if changed and debt.pk is not None:
            index.changed_debts[debt.pk] = debt
        return Outcome(line, RowStatus.UPDATED if changed else RowStatus.MATCHED, method, customer, debt)


def match_lines(
    index: LoanBookIndex, lines: Iterable[Line], *, uploaded_at: datetime, currency: str, default_after_days: int
) -> list[Outcome]:
    """Match every line of a chunk, in order; ``index`` collects the customers and loans to write."""
    matcher = Matcher(index, uploaded_at, currency, default_after_days)
    return [matcher.match(line) for line in lines]
