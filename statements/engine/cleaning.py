"""Turning cell text into numbers, dates and account numbers.

Rule 1 of the spec (quality issues) lives here: a cell that is not a clean
number is cleaned to its leading number and reported as dirty; a cell with no
number at all is an error the caller turns into ``BadCell`` with page and row.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

# A clean amount: optional sign, digits with optional comma groups, optional
# decimals. Anything else that still starts with a number is "dirty".
_CLEAN = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_LEADING = re.compile(r"^([+-]*)\s*(\d[\d,]*(?:\.\d+)?)")
_CURRENCY = re.compile(r"^(?:UGX|USH|SHS)\.?\s*", re.IGNORECASE)
_EMPTY_FEE = {"", "-", "--", "n/a", "na", "none", "null"}


class NoNumber(ValueError):
    """The text holds no number at all."""


def clean_amount(raw: object) -> tuple[Decimal, bool]:
    """Return ``(value, dirty)`` for a money cell.

    ``dirty`` is True when the text was not a clean number (``105608-``,
    ``52854II``, ``-+1500000``): the value is then its leading number, with
    the first sign character deciding the sign of a doubled sign.
    Raises ``NoNumber`` when no number can be found.
    """
    if isinstance(raw, bool):
        raise NoNumber(repr(raw))
    if isinstance(raw, int):
        return Decimal(raw), False
    if isinstance(raw, float):
        # Spreadsheet cells: repr() keeps the shortest exact decimal text.
        return Decimal(repr(raw)).normalize() if raw != int(raw) else Decimal(int(raw)), False
    if isinstance(raw, Decimal):
        return raw, False
    text = str(raw or "").strip().replace("\u00a0", " ")
    text = _CURRENCY.sub("", text).strip()
    compact = text.replace(" ", "")
    if _CLEAN.match(compact):
        return Decimal(compact.replace(",", "")), False
    match = _LEADING.match(compact)
    if not match:
        raise NoNumber(text)
    signs, number = match.groups()
    value = Decimal(number.replace(",", "").rstrip(","))
    if signs[:1] == "-":
        value = -value
    return value, True


def clean_fee(raw: object) -> tuple[Decimal, bool]:
    """Like ``clean_amount`` but an empty cell or a dash means no fee."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in _EMPTY_FEE):
        return Decimal("0"), False
    value, dirty = clean_amount(raw)
    return abs(value), dirty


def to_decimal(text: str) -> Decimal | None:
    try:
        return clean_amount(text)[0]
    except (NoNumber, InvalidOperation):
        return None


class DateParser:
    """Parse dates against a list of formats, remembering the last one that worked.

    Statements use one format throughout, so trying the previous winner first
    keeps parsing 100k rows cheap.
    """

    def __init__(self, formats: tuple[str, ...]):
        self.formats = formats
        self._last: str | None = None

    def __call__(self, text: object) -> datetime:
        if isinstance(text, datetime):
            return text.replace(tzinfo=None)
        value = " ".join(str(text or "").split())
        if self._last:
            try:
                return datetime.strptime(value, self._last)
            except ValueError:
                pass
        for fmt in self.formats:
            try:
                parsed = datetime.strptime(value, fmt)
            except ValueError:
                continue
            self._last = fmt
            return parsed
        raise ValueError(f"unrecognised date {value!r}")


def acc_number_9(text: object) -> str | None:
    """The 9 significant digits of a mobile number (256706015809 -> 706015809)."""
    if text is None:
        return None
    raw = str(text).strip()
    if raw.endswith(".0"):
        raw = raw[:-2]
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 9:
        return None
    return digits[-9:]


def parse_header_date(text: str) -> datetime | None:
    """A header date such as the Request Date, in any of the formats seen."""
    value = " ".join(text.split())
    for fmt in ("%d-%b-%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%d-%B-%Y"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
