"""Reading the customer-details export: which columns it has and how each
cell becomes a column value.

A ``Rows`` is compiled once per file from its header: it hashes a row's
cells as read and converts them, through a converter compiled once per
column, into SQL literals (MySQL/MariaDB) or driver parameters (elsewhere).
Empty, ``NaN``, ``None`` and ``NULL`` cells are NULL (empty text in the NOT
NULL text columns); naive times are the lender's local time, stored as UTC.
"""
from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, models

from core import crypto
from core.bulk import no_backslash_escapes, sql_quote_text
from details.models import CustomerDetails
from details.values import DATA_FIELDS, ENCRYPTED_FIELDS

# Without these a file is not a customer-details export: identity, provider
# and the columns the statistics are made of.
REQUIRED_COLUMNS = ("run_id", "acc_number", "acc_prvdr_code", "cust_id", "borrower_id", "direct_entity_type", "final_entity_type")
# Other names the same columns have had (mapper.csv, the core tables).
COLUMN_ALIASES = {
    "status": "request_status",
    "created_date": "request_created_at",
    "rm_id": "created_by_rm_id",
    "crnt_fa_limit": "current_fa_limit",
    "prev_fa_limit": "previous_fa_limit",
    "flow_req_id": "run_id",
}
_NULLS = {"", "nan", "none", "null", "nat", "<na>"}


def _case_variants(word: str) -> set[str]:
    variants = {""}
    for ch in word:
        variants = {v + c for v in variants for c in {ch.lower(), ch.upper()}}
    return variants


# Every spelling of a null cell, whatever its case: one set lookup per cell.
NULL_CELLS = frozenset(v for word in _NULLS for v in _case_variants(word))


class CsvColumnsError(ValueError):
    """The file lacks required columns; nothing was written."""


class CellError(ValueError):
    pass


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    path: str = ""
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # rows whose run_id an earlier row of the file had (the last readable row wins)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def normalize_header(name: str) -> str:
    name = name.strip().lstrip("\ufeff").lower().replace(" ", "_")
    return COLUMN_ALIASES.get(name, name)


def datetime_parser(tz) -> Callable[[datetime], datetime]:
    """Naive local (``tz``) or aware datetime → naive UTC.

    The offset of each calendar day is looked up once: a day whose offset is
    the same at its first and last second (every day but those with a
    daylight-saving change) converts by subtracting it; the other days go
    through ``zoneinfo`` value by value, exactly as ``astimezone`` would.
    """
    offsets: dict[int, timedelta | None] = {}
    utc = UTC

    def to_utc(value: datetime) -> datetime:
        if value.tzinfo is not None:
            return value.astimezone(utc).replace(tzinfo=None)
        day = value.toordinal()
        try:
            offset = offsets[day]
        except KeyError:
            midnight = datetime.fromordinal(day)
            first = midnight.replace(tzinfo=tz).utcoffset()
            last = (midnight + timedelta(hours=23, minutes=59, seconds=59)).replace(tzinfo=tz).utcoffset()
            offset = offsets[day] = first if first == last else None
        if offset is None:
            return value.replace(tzinfo=tz).astimezone(utc).replace(tzinfo=None)
        return value - offset

    return to_utc


def _integer_converter(model_field, *, sql: bool) -> Callable[[str], object]:
    name = model_field.name
    nulls = NULL_CELLS
    null = "NULL" if sql else None
    bound = 2**63 if isinstance(model_field, models.BigIntegerField) else 2**31
    plain = len(str(bound)) - 1  # ASCII digits this many or fewer are in range as they stand

    def convert(text):
        if sql and len(text) <= plain and text.isdigit() and text.isascii():
            return text  # the common case: the cell is the literal
        if text in nulls:
            return null
        try:
            value = int(text)
        except ValueError:
            try:
                number = Decimal(text)  # pandas writes integer columns with NaN as 12.0
            except InvalidOperation:
                raise CellError(f"{name}: {text!r} is not a whole number") from None
            if not number.is_finite() or number != number.to_integral_value():
                raise CellError(f"{name}: {text!r} is not a whole number") from None
            value = int(number)
        if not -bound < value < bound:
            raise CellError(f"{name}: {text!r} is out of range")
        return str(value) if sql else value
    return convert


def _decimal_converter(model_field, *, sql: bool) -> Callable[[str], object]:
    name = model_field.name
    nulls = NULL_CELLS
    null = "NULL" if sql else None
    max_whole = model_field.max_digits - model_field.decimal_places
    places = Decimal(1).scaleb(-model_field.decimal_places)
    # Cells already in the column's shape are their own literal.
    fraction = rf"(?:\.[0-9]{{1,{model_field.decimal_places}}})?" if model_field.decimal_places else ""
    exact = re.compile(rf"-?[0-9]{{1,{max_whole}}}{fraction}").fullmatch if sql else None

    def convert(text):
        if sql and exact(text) and text.isascii():
            return text
        if text in nulls:
            return null
        try:
            value = Decimal(text.replace(",", "") if "," in text else text)
        except InvalidOperation:
            raise CellError(f"{name}: {text!r} is not a number") from None
        if not value.is_finite():
            raise CellError(f"{name}: {text!r} is not a number")
        try:
            value = value.quantize(places)
        except InvalidOperation:
            raise CellError(f"{name}: {text!r} has more than {max_whole} digits before the decimal point") from None
        if value.adjusted() >= max_whole:
            raise CellError(f"{name}: {text!r} has more than {max_whole} digits before the decimal point")
        return str(value) if sql else value
    return convert


def _datetime_converter(model_field, tz, *, sql: bool) -> Callable[[str], object]:
    name = model_field.name
    nulls = NULL_CELLS
    null = "NULL" if sql else None
    to_utc = datetime_parser(tz)
    fromisoformat = datetime.fromisoformat

    def convert(text):
        if text in nulls:
            return null
        try:
            value = fromisoformat(text)
        except ValueError:
            raise CellError(f"{name}: {text!r} is not a date/time (YYYY-MM-DD[ HH:MM[:SS]])") from None
        # Stored as UTC (USE_TZ), as the model field would store it.
        try:
            value = to_utc(value)
        except OverflowError:
            raise CellError(f"{name}: {text!r} is out of range") from None
        if sql:
            return "'" + value.isoformat(" ") + "'"
        return value.isoformat(" ")
    return convert


def _date_converter(model_field, *, sql: bool) -> Callable[[str], object]:
    name = model_field.name
    nulls = NULL_CELLS
    null = "NULL" if sql else None

    def convert(text):
        if text in nulls:
            return null
        try:
            value = date.fromisoformat(text[:10])
        except ValueError:
            raise CellError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None
        return "'" + value.isoformat() + "'" if sql else value
    return convert


def _nullable_text_converter(model_field, *, sql: bool, no_backslash: bool) -> Callable[[str], object]:
    # A text column that allows NULL (the NOT NULL ones are handled in bulk).
    name = model_field.name
    nulls = NULL_CELLS
    null = "NULL" if sql else None
    limit = getattr(model_field, "max_length", None)

    def convert(text):
        if text in nulls:
            return null
        if limit and len(text) > limit:
            raise CellError(f"{name}: {len(text)} characters, the column holds {limit}")
        return sql_quote_text(text, no_backslash_escapes=no_backslash) if sql else text
    return convert


def converter(model_field, tz, *, sql: bool, no_backslash: bool = False) -> Callable[[str], object]:
    """A function turning a (stripped) cell into the column's value, or raising CellError.

    With ``sql`` the value is returned as a MySQL literal (``NULL``, ``12``,
    ``'2024-06-05 05:07:00'``), ready to be joined into a statement; text is
    quoted by ``core.bulk.sql_quote_text`` for the session's ``no_backslash``
    (NO_BACKSLASH_ESCAPES) mode.
    """
    if isinstance(model_field, (models.BigIntegerField, models.IntegerField)):
        return _integer_converter(model_field, sql=sql)
    if isinstance(model_field, models.DecimalField):
        return _decimal_converter(model_field, sql=sql)
    if isinstance(model_field, models.DateTimeField):
        return _datetime_converter(model_field, tz, sql=sql)
    if isinstance(model_field, models.DateField):
        return _date_converter(model_field, sql=sql)
    return _nullable_text_converter(model_field, sql=sql, no_backslash=no_backslash)


class Rows:
    """The columns of one file, compiled once: turns a row's stripped cells
    into what the upsert needs (SQL literals on MySQL, parameters elsewhere)."""

    def __init__(self, names: list[str], header: list[str], report: ImportReport, tz, *, encrypt: bool):
        fields_by_name = {f.name: f for f in CustomerDetails._meta.concrete_fields}
        self.sql = connection.vendor == "mysql"
        # Asked of the session now, before the writer thread takes the
        # connection; text literals are quoted for it (core.bulk.sql_quote_text).
        self.no_backslash_escapes = no_backslash_escapes() if self.sql else False
        typed: list[tuple[int, str, Callable]] = []  # (cell index, name, converter)
        texts: list[tuple[int, str, int]] = []  # NOT NULL text columns: (cell index, name, max length)
        seen = set()
        for index, name in enumerate(names):
            if name in DATA_FIELDS and name not in seen:
                seen.add(name)
                f = fields_by_name[name]
                if isinstance(f, (models.CharField, models.TextField)) and not f.null:
                    texts.append((index, name, f.max_length or 0))
                else:
                    typed.append((index, name, converter(f, tz, sql=self.sql, no_backslash=self.no_backslash_escapes)))
            elif name == "synced_at":
                continue
            elif name and not name.startswith("unnamed:"):
                report.ignored_columns.append(header[index])
        self.typed = typed
        self.texts = texts
        self.text_names = [name for _, name, _ in texts]
        self.text_cells = operator.itemgetter(*[i for i, _, _ in texts])  # run_id is always among them
        self.text_limits = [limit or 2**62 for _, _, limit in texts]
        self.encrypted = [k for k, name in enumerate(self.text_names) if name in ENCRYPTED_FIELDS] if encrypt else []
        self.synced_at_index = names.index("synced_at") if "synced_at" in names else None
        self.synced_at_convert = converter(fields_by_name["synced_at"], tz, sql=self.sql, no_backslash=self.no_backslash_escapes)
        self.run_id_index = names.index("run_id")
        # The hash of a row is that of its cells as read (typed columns, then
        # text columns, then synced_at), after the list of columns present:
        # the same file gives the same hashes, so a re-run finds every row unchanged.
        present = [name for _, name, _ in typed] + self.text_names
        self.present = present
        order = [i for i, _, _ in typed] + [i for i, _, _ in texts]
        if self.synced_at_index is not None:
            order.append(self.synced_at_index)
        self.hashed_cells = operator.itemgetter(*order)
        self.signature = "\x1f".join(present)

    def digest(self, cells: list[str]) -> str:
        return hashlib.sha256("\x1f".join((self.signature, *self.hashed_cells(cells))).encode("utf-8")).hexdigest()

    def convert(self, cells: list[str]):
        """(text values, typed values, synced_at) of one row; raises CellError."""
        nulls = NULL_CELLS
        texts = ["" if t in nulls else t for t in self.text_cells(cells)]
        if any(map(operator.gt, map(len, texts), self.text_limits)):
            for index, _, convert in self.typed:  # typed cells are reported first, as they are read first
                convert(cells[index])
            for (_, name, limit), text in zip(self.texts, texts, strict=True):
                if limit and len(text) > limit:
                    raise CellError(f"{name}: {len(text)} characters, the column holds {limit}")
        for k in self.encrypted:
            if texts[k]:
                texts[k] = crypto.encrypt(texts[k])
        typed = [convert(cells[index]) for index, _, convert in self.typed]
        synced_at = None if self.synced_at_index is None else self.synced_at_convert(cells[self.synced_at_index])
        return texts, typed, synced_at

    def sql_texts(self, texts: list[str]) -> str:
        """The text columns of a row as a run of quoted, escaped literals: one quoting call per row."""
        joined = "\x1f".join(texts)
        no_backslash = self.no_backslash_escapes
        if joined.count("\x1f") == len(texts) - 1:
            return sql_quote_text(joined, no_backslash_escapes=no_backslash).replace("\x1f", "','")
        # A cell holding the separator itself: escape cell by cell.
        return ",".join(sql_quote_text(t, no_backslash_escapes=no_backslash) for t in texts)

