"""Turn one loan-book record's text into typed values, or say exactly what is wrong.

Every problem names the line, the column as written in the file and the
value, so an ops person can fix the sheet without guessing. National IDs are
never echoed back in clear.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.masking import mask
from core.phones import InvalidPhoneNumber, normalize_phone
from uploads.readers import HeaderMap, Record

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d-%b-%Y", "%d %b %Y", "%d-%B-%Y", "%d %B %Y", "%Y/%m/%d", "%d.%m.%Y")
MAX_INTEGER_DIGITS = 14  # DecimalField(max_digits=16, decimal_places=2)
_CENTS = Decimal("0.01")

# Longest text each target column takes (Customer / Debt field sizes).
MAX_LENGTHS = {
    "name": 300,
    "loan_id": 100,
    "state": 100,
    "cluster": 100,
    "branch": 200,
    "branch_contact": 32,
    "employee_name": 200,
    "employee_id": 50,
    "employee_contact": 32,
    "email": 254,
    "national_id": 64,
}
TEXT_FIELDS = ("state", "cluster", "branch", "branch_contact", "employee_name", "employee_id", "employee_contact")
_SEPARATOR_SPACES = "[ '\u00a0\u202f]"
# Every number shape a loan book may use, each with exactly one reading:
# thousands grouped in threes (or in Indian lakh groups), a decimal part of
# one or two digits. (shape, thousands separator, decimal mark)
_NUMBER_SHAPES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\d+(?:\.\d{1,2})?"), "", "."),  # 1234, 1234.5
    (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"), ",", "."),  # 1,234,567.89
    (re.compile(r"\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?"), ",", "."),  # 2,50,000 (lakh)
    (re.compile(r"\d{1,3}(?:" + _SEPARATOR_SPACES + r"\d{3})+(?:\.\d{1,2})?"), "space", "."),  # 1 234 567.89
    (re.compile(r"\d{1,3}(?:" + _SEPARATOR_SPACES + r"\d{3})+,\d{1,2}"), "space", ","),  # 1 234 567,89
    (re.compile(r"\d{1,3}(?:\.\d{3})+,\d{1,2}"), ".", ","),  # 1.234.567,89
    (re.compile(r"\d{1,3}(?:\.\d{3}){2,}"), ".", ","),  # 1.234.567
    (re.compile(r"\d+,\d{1,2}"), "", ","),  # 1234,5
)
_SPACES_RE = re.compile(_SEPARATOR_SPACES)
# An amount: an optional ISO currency code (capitals) before or after, the
# number, and an optional k/m/bn suffix (AMOUNT_SUFFIXES).
_AMOUNT = re.compile(
    r"(?:(?P<pre>[A-Z]{3})\s*)?(?P<number>[-+(]?\d[\d.,' \u00a0\u202f]*?\)?)\s*(?P<suffix>[kKmM]|[bB][nN])?(?:\s*(?P<post>[A-Z]{3}))?"
)
_SUFFIX_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DOT_THOUSANDS_OR_DECIMALS = re.compile(r"\d*\.\d{3,}")
# The documented suffix rule: 1.2m is 1,200,000 exactly (never 1.20).
AMOUNT_SUFFIXES = {"k": 3, "m": 6, "bn": 9}
AMOUNT_HELP = "write a number such as 1250000, 1,250,000, UGX 1,250,000 or 1.2m"
# What our own screens and exports show instead of a value (core.masking:
# "••••ABCD"; other systems write "****1234" or "XXXX1234"). A masked value
# typed back into a loan book is refused: it must never become data.
_MASKED = re.compile(r"\u2022|\*{2,}|[Xx]{4,}|#{4,}")

class FieldError(ValueError):
    pass


@dataclass
class ParsedRow:
    line_number: int
    name: str = ""
    phone: str = ""
    loan_id: str = ""
    amount: Decimal | None = None
    due_date: date | None = None
    due_amount: Decimal | None = None
    last_paid_date: date | None = None
    last_paid_amount: Decimal | None = None
    principal_amount: Decimal | None = None
    state: str = ""
    cluster: str = ""
    branch: str = ""
    branch_contact: str = ""
    employee_name: str = ""
    employee_id: str = ""
    employee_contact: str = ""
    email: str = ""
    national_id: str = ""
    currency: str = ""
    secondary_phone: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        return "; ".join(self.errors)


def parse_amount(text: str) -> Decimal:
    """The amount ``text`` states exactly, or ``FieldError`` saying why it cannot be read.

    ``'1,234.50'``, ``'1.234,50'``, ``'2,50,000'``, ``'UGX 15 000'``, ``'1.2m'``
    (1,200,000: ``k``, ``m`` and ``bn`` multiply by a thousand, a million and a
    billion) -> Decimal. Never negative; words, units, symbols and ambiguous
    separators (``'1.234'``) are refused, never guessed.
    """
    return parse_amount_and_currency(text)[0]


def parse_amount_and_currency(text: str) -> tuple[Decimal, str]:
    """``parse_amount``, with the currency code written beside the number ("" if none)."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_INTEGER_DIGITS:  # the common case, fast
        return Decimal(text).quantize(_CENTS), ""
    text = text.strip()
    parts = _AMOUNT.fullmatch(text)
    if parts is None:
        raise FieldError(f"is not an amount ({AMOUNT_HELP}; words, units and symbols are not read)")
    pre, post, suffix = parts["pre"], parts["post"], parts["suffix"]
    if pre and post:
        raise FieldError(f"is not an amount (two currency codes; {AMOUNT_HELP})")
    number = parts["number"].strip()
    if number[0] == "-" or (number[0] == "(" and number[-1] == ")"):
        raise FieldError("must not be negative")
    if not number[0].isdigit() or not number[-1].isdigit():
        raise FieldError(f"is not an amount ({AMOUNT_HELP})")
    if suffix:
        if not _SUFFIX_NUMBER.fullmatch(number):
            raise FieldError(f"is not an amount (before {suffix!r} write a plain number such as 1.2{suffix}, without separators)")
        value = Decimal(number).scaleb(AMOUNT_SUFFIXES[suffix.lower()])
    else:
        value = _read_number(number)
    if int(value.as_tuple().exponent) < -2:
        raise FieldError("has more than 2 decimal places")
    value = value.quantize(_CENTS)
    if len(str(int(value))) > MAX_INTEGER_DIGITS:
        raise FieldError(f"is too large (at most {MAX_INTEGER_DIGITS} digits before the decimal point)")
    return value, pre or post or ""


def _read_number(number: str) -> Decimal:
    """One of ``_NUMBER_SHAPES``, read its one way."""
    for shape, thousands, decimal_mark in _NUMBER_SHAPES:
        if shape.fullmatch(number):
            if thousands == "space":
                number = _SPACES_RE.sub("", number)
            elif thousands:
                number = number.replace(thousands, "")
            return Decimal(number.replace(",", ".") if decimal_mark == "," else number)
    if _DOT_THOUSANDS_OR_DECIMALS.fullmatch(number):
        # "12.300" is 12.3 in one country and 12,300 in the next.
        raise FieldError(
            "is ambiguous: a dot followed by three digits may be decimals or thousands "
            "(write 12,300 or 12300; at most 2 decimal places)"
        )
    raise FieldError(f"is not an amount (thousands in groups of three, at most 2 decimal places; {AMOUNT_HELP})")


@lru_cache(maxsize=8192)
def parse_date(text: str) -> date:
    """``2024-01-15``, ``15/01/2024``, ``15-01-2024``, ``15-Jan-2024`` (and a few close cousins)."""
    text = text.strip()
    if " " in text and text[:4].isdigit() and ":" in text:
        text = text.split(" ", 1)[0]  # 2024-01-15 00:00:00 from a spreadsheet
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError("is not a date (use 2024-01-15, 15/01/2024, 15-01-2024 or 15-Jan-2024)")


_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def _phone(text: str, region: str) -> str:
    # Separators never change the number, so "0772 123 456" and "0772-123456"
    # share one cache entry (normalising costs ~75 µs; a cache hit ~1 µs).
    return _normalized_phone(_PHONE_SEPARATORS.sub("", text), region)


@lru_cache(maxsize=65536)  # ~19 MB full
def _normalized_phone(text: str, region: str) -> str:
    return normalize_phone(text, region)


Fail = Callable[[str, str, str], None]


def parse_record(record: Record, header_map: HeaderMap, *, region: str) -> ParsedRow:
    """Validate and type one record; problems go to ``row.errors``, never raise."""
    values = record.values
    row = ParsedRow(line_number=record.line_number)
    line = record.line_number

    def fail(field_name: str, value: str, message: str) -> None:
        if value == MASKED_CELL:
            return
        shown = mask(value) if field_name == "national_id" else value
        row.errors.append(f'line {line}, column "{header_map.header_for(field_name)}" = "{shown}": {message}')

    if record.extra_cells:
        row.errors.append(
            f"line {line}: {len(header_map.headers) + len(record.extra_cells)} values but the header has "
            f"{len(header_map.headers)} columns (an unquoted delimiter inside a value?)"
        )
    if _MASKED.search("\x1f".join(values.values())) is not None:
        values = _refuse_masks(values, fail)
    _who_and_which_loan(values, row, fail, region)
    _amounts_and_dates(values, row, fail)
    _details(values, row, fail)
    return row


MASKED_CELL = "\x00masked"  # stands in for a refused cell: reported once, not again as "required" or "not a phone"


def looks_masked(text: str) -> bool:
    """True when ``text`` looks like a masked value (``••••ABCD``, ``****1234``, ``XXXX1234``)."""
    return _MASKED.search(text) is not None


def _refuse_masks(values: dict[str, str], fail: Fail) -> dict[str, str]:
    """Fail each masked cell; the values without them, so the rest of the line is still checked."""
    kept = {}
    for field_name, text in values.items():
        if text and looks_masked(text):
            fail(field_name, text, "looks like a masked value (••••1234, ****1234, XXXX1234): write the real value; a mask is never stored")
            kept[field_name] = MASKED_CELL
        else:
            kept[field_name] = text
    return kept


def _who_and_which_loan(values: dict[str, str], row: ParsedRow, fail: Fail, region: str) -> None:
    """The required name, loan_id and phone, and the optional second phone."""
    for field_name in ("name", "loan_id"):
        text = values.get(field_name, "")
        if not text:
            fail(field_name, text, "is required")
        elif len(text) > MAX_LENGTHS[field_name]:
            fail(field_name, text[:40] + "…", f"is longer than {MAX_LENGTHS[field_name]} characters")
        else:
            setattr(row, field_name, " ".join(text.split()) if field_name == "name" else text)

    phone = values.get("phone", "")
    if not phone:
        fail("phone", phone, "is required")
    else:
        try:
            row.phone = _phone(phone, region)
        except InvalidPhoneNumber:
            fail("phone", phone, f"is not a valid phone number for region {region}")

    secondary = values.get("secondary_phone", "")
    if secondary:
        try:
            row.secondary_phone = _phone(secondary, region)
        except InvalidPhoneNumber:
            fail("secondary_phone", secondary, f"is not a valid phone number for region {region}")


def _amounts_and_dates(values: dict[str, str], row: ParsedRow, fail: Fail) -> None:
    """The required amount (the balance owed), the optional amounts and dates."""
    amount = values.get("amount", "")
    if not amount:
        fail("amount", amount, "is required")
    else:
        try:
            row.amount, code = parse_amount_and_currency(amount)
        except FieldError as exc:
            fail("amount", amount, str(exc))
        else:
            written = values.get("currency", "").upper()
            if code and written and code != written:
                fail("amount", amount, f"is in {code} but the line's currency is {written}")
            elif code and not written:
                row.currency = code

    for field_name in ("due_amount", "last_paid_amount", "principal_amount"):
        text = values.get(field_name, "")
        if text:
            try:
                setattr(row, field_name, parse_amount(text))
            except FieldError as exc:
                fail(field_name, text, str(exc))

    for field_name in ("due_date", "last_paid_date"):
        text = values.get(field_name, "")
        if text:
            try:
                setattr(row, field_name, parse_date(text))
            except FieldError as exc:
                fail(field_name, text, str(exc))


def _details(values: dict[str, str], row: ParsedRow, fail: Fail) -> None:
    """The optional branch and staff texts, email, national ID and currency."""
    for field_name in TEXT_FIELDS:
        text = values.get(field_name, "")
        if len(text) > MAX_LENGTHS[field_name]:
            fail(field_name, text[:40] + "…", f"is longer than {MAX_LENGTHS[field_name]} characters")
        else:
            setattr(row, field_name, text)

    email = values.get("email", "")
    if email:
        try:
            validate_email(email)
            if len(email) > MAX_LENGTHS["email"]:
                raise ValidationError("too long")
            row.email = email.lower()
        except ValidationError:
            fail("email", email, "is not a valid email address")

    national_id = values.get("national_id", "")
    if national_id:
        if len(national_id) > MAX_LENGTHS["national_id"]:
            fail("national_id", national_id, f"is longer than {MAX_LENGTHS['national_id']} characters")
        else:
            row.national_id = national_id

    currency = values.get("currency", "")
    if currency:
        if len(currency) == 3 and currency.isalpha():
            row.currency = currency.upper()
        else:
            fail("currency", currency, "is not a 3-letter currency code (e.g. UGX)")
