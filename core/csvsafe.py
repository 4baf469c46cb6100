"""CSV (and spreadsheet) formula injection: the one rule every export uses.

A spreadsheet application runs a cell that begins with ``=``, ``+``, ``-``
or ``@`` as a formula (and a leading tab or carriage return can hide one), so
a statement description such as ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0``
written verbatim to a CSV runs on the analyst's machine. Following OWASP, such
a text cell is written with a leading single quote, which the spreadsheet
shows as text.

Numbers are data, not formulas: a cell that is a plain number, such as
``-500.00``, ``+256700000000`` or ``-1,250.50`` (what the database gives for a
negative amount cast to text, or a phone number in E.164), is left as it is,
so amounts stay numbers for whoever reads the file. Nothing but digits,
separators and one leading sign is a number: ``-2+3+cmd|...`` is escaped.
Values that are not text (``None``, ``int``, ``Decimal``, dates, as native
spreadsheet formats receive them) are returned unchanged.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SIGNS = ("+", "-")
_NUMBER = re.compile(r"[+-]?[\d.,\s]+")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run
    as a formula; anything else unchanged."""
    if not isinstance(value, str) or not value.startswith(TRIGGERS):
        return value
    if value.startswith(_SIGNS) and _NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of ``row`` through :func:`safe_cell`."""
    return [safe_cell(value) for value in row]
