"""Cell to value, with the page and row named when a cell holds nothing usable.

Shared by every parser: a dirty number is cleaned and noted on the row
(rule 1, quality issues), a cell with no number at all is a ``BadCell``,
and so is a number larger than the store's money columns hold (``MAX_MONEY``):
refused with its place, not a database error when the rows are written.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from statements.engine.cleaning import DateParser, NoNumber, clean_amount, clean_fee
from statements.engine.errors import BadCell

# The largest amount a money column holds (statements.models.MONEY: 18 digits, 2 decimals).
MAX_MONEY = Decimal("9999999999999999.99")
_OUT_OF_RANGE = f"number within ±{MAX_MONEY:,}"


class RowReader:
    """Reads the cells of one row; collects which ones were dirty."""

    __slots__ = ("page", "row", "dirty")

    def __init__(self, *, page: int | None, row: int):
        self.page = page
        self.row = row
        self.dirty: list[str] = []

    def number(self, column: str, raw: object) -> Decimal:
        try:
            value, dirty = clean_amount(raw)
        except NoNumber:
            raise BadCell(column=column, raw=_text(raw), row=self.row, page=self.page) from None
        if abs(value) > MAX_MONEY:
            raise BadCell(column=column, raw=_text(raw), row=self.row, page=self.page, what=_OUT_OF_RANGE)
        if dirty:
            self.dirty.append(column)
        return value

    def fee(self, column: str, raw: object) -> Decimal:
        try:
            value, dirty = clean_fee(raw)
        except NoNumber:
            raise BadCell(column=column, raw=_text(raw), row=self.row, page=self.page) from None
        if value > MAX_MONEY:
            raise BadCell(column=column, raw=_text(raw), row=self.row, page=self.page, what=_OUT_OF_RANGE)
        if dirty:
            self.dirty.append(column)
        return value

    def date(self, column: str, raw: object, parser: DateParser) -> datetime:
        try:
            return parser(raw)
        except ValueError:
            raise BadCell(column=column, raw=_text(raw), row=self.row, page=self.page, what="date") from None


def _text(raw: object) -> str:
    return "" if raw is None else str(raw)
