"""The loan-book matching rules, over plain data: no ORM, no database.

A line of a loan book names a person (name, phone, maybe a national ID) and
a loan (``loan_id``). Matching decides, line by line:

* the customer: the same phone and national ID; else the same phone and
  name (the customer fingerprint); else the only customer on that phone with
  no other national ID; else a new customer;
* the loan: the same ``loan_id`` (case-insensitively, as the database
  compares them);
* what changes: a new customer or loan, or the loan book's values on a known
  one (a blank cell keeps what we have).

Nothing is guessed. A line goes to the review queue (``needs_review``,
with the candidate customer and why) instead of being applied when

* it matched a customer by phone only and the names disagree;
* its loan belongs to another customer, or is reached under another phone;
* it would change a known loan's balance, original amount or status and the
  uploader may not (``may_sync_balances``: the ``debts.sync_balances``
  permission).

A ``loan_id`` on two lines of one file with different content fails every
one of those lines (``conflicts``, found by a pre-pass over the file).

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


class ReviewKind(StrEnum):
    """Why a line waits for review, as stored in ``UploadRowReview.kind``."""

    IDENTITY = "identity"
    LOAN_OWNER = "loan_owner"
    BALANCE = "balance"


class Decision(StrEnum):
    """What a reviewer decides for a line waiting for review."""

    ATTACH = "attach"
    NEW_CUSTOMER = "new_customer"
    REJECT = "reject"


class RowStatus(StrEnum):
    """What became of a line, as stored in ``UploadRow.status``."""

    PENDING = "pending"
    MATCHED = "matched"
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


# Loan books repeat customers on many lines; the same names and phones are
# normalised and hashed once per process, not once per line. Sized for
# memory as well as hits: full, these caches and the phone cache in
# ``uploads.parsing`` hold about 50 MB (twice that at the old 65,536 each,
# a third of a million-line import's peak).
_NAME_CACHE = 32768
normalize_name = lru_cache(maxsize=_NAME_CACHE)(core_text.normalize_name)
customer_fingerprint = lru_cache(maxsize=_NAME_CACHE)(core_text.customer_fingerprint)


class Line:
    """One loan-book line as matching sees it: the parsed values and the keys derived from them."""

    __slots__ = ("row", "fingerprint", "nid_hash", "fp_name", "fp_nid", "norm_name", "name_key")

    def __init__(self, row: ParsedRow, fingerprint: str, nid_hash: str | None):
        # ``fingerprint`` identifies the line's content (a line seen before is
        # skipped); ``nid_hash`` is the national ID's keyed hash.
        self.row, self.fingerprint, self.nid_hash = row, fingerprint, nid_hash
        self.fp_name: str | None = None
        self.fp_nid: str | None = None
        self.norm_name: str | None = None
        self.name_key: str | None = None
        if row.ok:
            self.fp_name = customer_fingerprint(row.phone, row.name)
            self.fp_nid = customer_fingerprint(row.phone, row.name, row.national_id) if row.national_id else None
            self.norm_name = normalize_name(row.name)
            self.name_key = name_key(row.name)


@lru_cache(maxsize=_NAME_CACHE)
def name_key(name: str) -> str:
    """A name whatever its case, accents, spacing and word order: "OKELLO  joseph" is "Joseph Okello"."""
    return " ".join(sorted(normalize_name(name).split()))


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
    name_key: str = field(init=False)
    changed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.norm_name = normalize_name(self.full_name)
        self.name_key = name_key(self.full_name)


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
    # Read, never written by a loan book: the status rule reopens a long
    # overdue loan as defaulted, as debts.services does.
    days_past_due: int = 0


# The Debt columns a loan book writes, in DebtRecord's order.
DEBT_UPDATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(DebtRecord))[3:-1]
# What only a user with debts.sync_balances may change on a known loan.
BALANCE_FIELDS = ("current_balance", "original_amount", "status")


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
    # A line waiting for review: why, and who and what it would be applied to.
    review_kind: str = ""
    candidate: CustomerRecord | None = None
    candidate_debt: DebtRecord | None = None


def loan_key(loan_id: str) -> str:
    # The database compares loan ids case-insensitively (utf8mb4_unicode_ci,
    # unique index): "ln-1001" is the loan "LN-1001", here as there.
    return loan_id.casefold()


def other_national_id(line: Line, customer: CustomerRecord) -> bool:
    """Same phone, different national ID: a different person."""
    return bool(line.nid_hash and customer.national_id_hash and customer.national_id_hash != line.nid_hash)


def _who(customer: CustomerRecord) -> str:
    return f'customer #{customer.pk} "{customer.full_name}" ({customer.primary_phone})' if customer.pk else (
        f'the new customer "{customer.full_name}" ({customer.primary_phone}) of an earlier line')


def loan_owner_review(row: ParsedRow, owner: CustomerRecord, customer: CustomerRecord | None) -> str:
    """Why a line naming a known loan waits for review, or "" when the loan's borrower is the person on the line."""
    where = f'line {row.line_number}, column "loan_id" = "{row.loan_id}"'
    if customer is None:
        if owner.national_id_hash and row.national_id:
            return f"{where}: the loan belongs to {_who(owner)}, who has a different national ID"
        return f"{where}: the loan belongs to {_who(owner)}, reached here under another phone ({row.phone})"
    if customer is not owner:
        return f'{where}: the loan belongs to {_who(owner)}, but the line\'s name and phone match {_who(customer)}'
    return ""


def identity_review(row: ParsedRow, candidate: CustomerRecord) -> str:
    return (f'line {row.line_number}: the phone {row.phone} belongs to {_who(candidate)}, '
            f'but the line names "{row.name}"; the names disagree')


def debt_status(*, status: str, balance: Decimal | None, days_past_due: int, default_after_days: int) -> str:
    """The status at ``balance``, by the one rule in ``debts.rules`` (the one
    ``debts.services`` applies to payments and refunds): a zero balance pays
    an open loan off, money owed again reopens a paid-off one (defaulted when
    long overdue). Settled and written-off loans keep their status. No
    balance, no change."""
    if balance is None:
        return status
    return status_after_balance_change(
        status=status, balance=balance, days_past_due=days_past_due, default_after_days=default_after_days,
    )


def debt_changes(debt: DebtRecord, row: ParsedRow, *, default_after_days: int) -> dict[str, Any]:
    """What the loan book's values would change on ``debt`` (a blank cell keeps what we have), status included."""
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
    changes = {name: value for name, value in values if value is not None and getattr(debt, name) != value}
    balance = row.amount if row.amount is not None else debt.current_balance
    status = debt_status(status=debt.status, balance=balance, days_past_due=debt.days_past_due, default_after_days=default_after_days)
    if status != debt.status:
        changes["status"] = status
    return changes


def balance_review(row: ParsedRow, debt: DebtRecord, changes: dict[str, Any]) -> str:
    """Why a line that moves a known loan's balance, original amount or status waits for someone who may."""
    moves = ", ".join(f"{name} {getattr(debt, name)} → {changes[name]}" for name in BALANCE_FIELDS if name in changes)
    return (f'line {row.line_number}, column "loan_id" = "{row.loan_id}": would change loan #{debt.pk}\'s {moves}; '
            "only a user with the debts.sync_balances permission may apply it")


def update_debt(debt: DebtRecord, row: ParsedRow, *, default_after_days: int) -> bool:
    """Apply the loan book's values (a blank cell keeps what we have); True if anything changed."""
    changes = debt_changes(debt, row, default_after_days=default_after_days)
    for name, value in changes.items():
        setattr(debt, name, value)
    return bool(changes)


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
        same_name = [c for c in usable if c.name_key == line.name_key]
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
            status=debt_status(status=DebtStatus.ACTIVE, balance=row.amount, days_past_due=0, default_after_days=default_after_days),
        )
        self.new_debts.append(debt)
        self.debts[loan_key(row.loan_id)] = debt
        return debt


class ReviewNeeded(ValueError):
    """A reviewer's decision cannot be applied as it stands; the message says why."""


@dataclass
class Matcher:
    """Matches the lines of one chunk against ``index``, in order, updating it as it goes.

    ``may_sync_balances``: the uploader may change a known loan's balance,
    original amount and status. ``conflicts``: loan key -> the line numbers
    of a loan_id written with different content on several lines.
    """

    index: LoanBookIndex
    uploaded_at: datetime
    currency: str
    default_after_days: int
    may_sync_balances: bool = True
    conflicts: dict[str, list[int]] = field(default_factory=dict)
    # Line fingerprint -> the outcome of its first good line in this chunk.
    first_ok: dict[str, Outcome] = field(default_factory=dict)

    def match(self, line: Line) -> Outcome:
        row = line.row
        others = self.conflicts.get(loan_key(row.loan_id)) if row.loan_id else None
        if others:
            return Outcome(line, RowStatus.FAILED, error="; ".join([conflict_error(row, others), *row.errors]))
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
            reason = loan_owner_review(row, debt.customer, customer)
            if reason:
                outcome = self._review(line, ReviewKind.LOAN_OWNER, reason, method or MatchMethod.LOAN, debt.customer, debt)
                return outcome
        if method == MatchMethod.PHONE and customer is not None:
            return self._review(line, ReviewKind.IDENTITY, identity_review(row, customer), method, customer, debt)
        return self._apply_or_hold(line, customer, method, debt)

    def resolve(self, line: Line, decision: str, candidate_id: int | None) -> Outcome:
        """Apply a line a reviewer decided on: attached to ``candidate_id``, or to a new customer.

        Raises ``ReviewNeeded`` when the decision no longer fits what we know
        (the loan moved, or it would change a balance the reviewer may not).
        """
        row = line.row
        debt = self.index.debts.get(loan_key(row.loan_id))
        if decision == Decision.NEW_CUSTOMER:
            if debt is not None and debt.pk is not None:
                raise ReviewNeeded(
                    f'the loan "{row.loan_id}" belongs to {_who(debt.customer)}; attach the line to it or reject it'
                )
            return self._apply_or_hold(line, None, MatchMethod.NEW, debt, resolving=True)
        customer = self.index.customers.get(candidate_id) if candidate_id is not None else None
        if customer is None:
            raise ReviewNeeded("the candidate customer no longer exists; create a new customer or reject the line")
        if debt is not None and debt.customer is not customer:
            raise ReviewNeeded(f'the loan "{row.loan_id}" now belongs to {_who(debt.customer)}, not to {_who(customer)}')
        method = MatchMethod.LOAN if debt is not None else MatchMethod.PHONE
        return self._apply_or_hold(line, customer, method, debt, resolving=True)

    def _review(
        self, line: Line, kind: str, reason: str, method: str, candidate: CustomerRecord | None, debt: DebtRecord | None
    ) -> Outcome:
        outcome = Outcome(line, RowStatus.NEEDS_REVIEW, method, error=reason, review_kind=kind, candidate=candidate, candidate_debt=debt)
        self.first_ok[line.fingerprint] = Outcome(line, RowStatus.NEEDS_REVIEW)
        return outcome

    def _apply_or_hold(
        self, line: Line, customer: CustomerRecord | None, method: str, debt: DebtRecord | None, *, resolving: bool = False
    ) -> Outcome:
        if debt is not None and debt.pk is not None and not self.may_sync_balances:
            changes = debt_changes(debt, line.row, default_after_days=self.default_after_days)
            if any(name in changes for name in BALANCE_FIELDS):
                reason = balance_review(line.row, debt, changes)
                if resolving:
                    raise ReviewNeeded(reason)
                return self._review(line, ReviewKind.BALANCE, reason, method, customer or debt.customer, debt)
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


def conflict_error(row: ParsedRow, others: list[int]) -> str:
    """The error of a line whose loan_id is on other lines of the file with different content."""
    rest = [n for n in others if n != row.line_number]
    shown = ", ".join(str(n) for n in rest[:20]) + (f" and {len(rest) - 20} more" if len(rest) > 20 else "")
    return (f'line {row.line_number}, column "loan_id" = "{row.loan_id}": the same loan_id is on line(s) {shown} '
            "with different values; none of these lines is applied (keep one line per loan)")


def match_lines(
    index: LoanBookIndex, lines: Iterable[Line], *, uploaded_at: datetime, currency: str, default_after_days: int,
    may_sync_balances: bool = True, conflicts: dict[str, list[int]] | None = None,
) -> list[Outcome]:
    """Match every line of a chunk, in order; ``index`` collects the customers and loans to write."""
    matcher = Matcher(index, uploaded_at, currency, default_after_days, may_sync_balances, conflicts or {})
    return [matcher.match(line) for line in lines]
