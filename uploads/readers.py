"""Streaming readers for loan-book files (CSV in any common shape, XLSX).

A loan book can hold a million lines, so nothing here loads a file whole:
CSV goes through ``csv`` over a text wrapper, XLSX through openpyxl's
read-only mode, and both yield one record at a time.

Every reader is held to the loan-book ``FileLimits`` (``core.limits``, the
``FILE_LIMIT_*`` settings): an XLSX's directory (parts, sizes, ratios,
sheets, shared strings) is checked before openpyxl opens it, and rows,
columns and cells as they are read; past a limit the file is refused with a
``LoanBookError`` naming the setting. ``sniff_loan_book`` is what a web
request reads: the header, from at most ``SNIFF_BYTES`` of the file.

Headers are matched to the loan-book fields (``FIELD_ALIASES`` below) by
name, regardless of case, spacing, punctuation and order; columns nobody
asked for stay in each record's raw data.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings

from core.limits import FileLimits, LimitExceeded, check_zip
from uploads.choices import FileFormat

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
PDF_MAGIC = b"%PDF"
_BLOCK = 1 << 20
# The most a web request reads of a loan book (of each XLSX part it opens)
# to find its header; the worker reads the rest.
SNIFF_BYTES = 1 << 20

# Canonical field -> header spellings (already normalised by ``normalize_header``).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "customer_name", "borrower_name", "customer"),
    "phone": ("phone", "phone_number", "mobile", "mobile_number", "primary_phone", "msisdn", "contact_number"),
    "loan_id": ("loan_id", "loan_no", "loan_number", "loan_account", "loan_ref"),
    "amount": ("amount", "loan_amount", "outstanding", "outstanding_amount", "balance", "outstanding_balance"),
    "due_date": ("due_date", "next_due_date"),
    "state": ("state", "region"),
    "cluster": ("cluster",),
    "branch": ("branch", "branch_name"),
    "branch_contact": ("branch_contact_number", "branch_contact", "branch_phone"),
    "employee_name": ("employee", "employee_name"),
    "employee_id": ("employee_id", "emp_id"),
    "employee_contact": ("employee_contact_number", "employee_contact", "employee_phone"),
    "last_paid_date": ("last_paid_date", "last_payment_date"),
    "last_paid_amount": ("last_paid_amount", "last_payment_amount"),
    "due_amount": ("due_amount", "amount_due"),
    # Optional columns (what lenders' exports commonly add).
    "email": ("email", "email_address"),
    "national_id": ("national_id", "nin", "national_id_number", "id_number"),
    "principal_amount": ("principal", "principal_amount", "original_amount", "disbursed_amount"),
    "currency": ("currency",),
    "secondary_phone": ("secondary_phone", "alternate_phone", "alt_phone"),
}
REQUIRED_FIELDS = ("name", "phone", "loan_id", "amount")
_ALIAS_TO_FIELD = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
_NON_WORD = re.compile(r"[^0-9a-z]+")


class LoanBookError(ValueError):
    """The file as a whole cannot be read as a loan book (wrong type, no usable header)."""


def normalize_header(text: str) -> str:
    """``'  Branch Contact-Number '`` -> ``'branch_contact_number'``."""
    return _NON_WORD.sub("_", str(text or "").strip().lower()).strip("_")


@dataclass
class Record:
    line_number: int
    raw: dict[str, str]  # original header -> cell text (unknown columns included)
    values: dict[str, str]  # canonical field -> cell text (known columns only)
    extra_cells: list[str] = field(default_factory=list)  # non-empty cells beyond the header


@dataclass
class HeaderMap:
    headers: list[str]
    field_index: dict[str, int]  # canonical field -> column index

    @property
    def missing(self) -> list[str]:
        return [name for name in REQUIRED_FIELDS if name not in self.field_index]

    def header_for(self, field_name: str) -> str:
        return self.headers[self.field_index[field_name]]


def map_headers(headers: list[str]) -> HeaderMap:
    headers = [str(h if h is not None else "").strip() for h in headers]
    field_index: dict[str, int] = {}
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = normalize_header(header)
        if not key:
            continue
        if key in seen:
            raise LoanBookError(f"column {header!r} appears twice in the header (columns {seen[key] + 1} and {index + 1})")
        seen[key] = index
        canonical = _ALIAS_TO_FIELD.get(key)
        if canonical and canonical not in field_index:
            field_index[canonical] = index
    mapping = HeaderMap(headers=headers, field_index=field_index)
    if mapping.missing:
        raise LoanBookError(
            f"missing required column(s): {', '.join(mapping.missing)} (found: {', '.join(h for h in headers if h) or 'no header'})"
        )
    return mapping


def cell_text(value) -> str:
    """Text of a spreadsheet cell as a person would have typed it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Phone numbers and ids stored as numbers come back as 256706015809.0
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value).strip()


def loan_book_limits() -> FileLimits:
    """The loan-book reading limits the settings configure."""
    return FileLimits.from_settings(settings, loan_book=True)


class LoanBookReader:
    """One pass over a loan book per call of ``records()``; ``count()`` is a cheap pass too."""

    file_format: str = ""
    encoding: str = ""
    delimiter: str = ""
    cells_are_text = False

    def __init__(self, fileobj: BinaryIO, limits: FileLimits | None = None):
        self.fileobj = fileobj
        self.limits = limits or loan_book_limits()
        self.header_map: HeaderMap | None = None

    def _bounded(self, line: int, count: int, cells: list) -> None:
        """Refuse row number ``count`` (line ``line``) past the row or column limit."""
        if count > self.limits.rows:
            raise LoanBookError(str(self.limits.exceeded("rows", f"the file has more than {self.limits.rows:,} rows")))
        if len(cells) > self.limits.columns:
            raise LoanBookError(str(self.limits.exceeded("columns", f"line {line} has {len(cells):,} cells")))

    @property
    def headers(self) -> list[str]:
        return self.header_map.headers if self.header_map else []

    def _rows(self) -> Iterator[tuple[int, list]]:
        raise NotImplementedError

    def records(self) -> Iterator[Record]:
        rows = self._rows()
        header_row = None
        for _line, cells in rows:
            if any(cell_text(c) for c in cells):
                header_row = cells
                break
        if header_row is None:
            raise LoanBookError("the file is empty: no header row found")
        self.header_map = map_headers([cell_text(c) for c in header_row])
        headers = self.header_map.headers
        width = len(headers)
        index_items = list(self.header_map.field_index.items())
        plain = self.cells_are_text
        for line_number, cells in rows:
            texts = [c.strip() for c in cells] if plain else [cell_text(c) for c in cells]
            if not any(texts):
                continue  # blank line (or a row of empty cells): not a record
            raw = {}
            for index in range(width):
                header = headers[index]
                if header:
                    raw[header] = texts[index] if index < len(texts) else ""
            extra = [t for t in texts[width:] if t]
            values = {name: (texts[index] if index < len(texts) else "") for name, index in index_items}
            yield Record(line_number=line_number, raw=raw, values=values, extra_cells=extra)

    def read_header(self) -> HeaderMap:
        for _record in self.records():
            break
        if self.header_map is None:  # header only, no records
            raise LoanBookError("the file is empty: no header row found")
        return self.header_map

    def count(self) -> int:
        """Records in the file (non-blank rows after the header), without building them."""
        rows, header_seen = 0, False
        plain = self.cells_are_text
        for _line, cells in self._rows():
            if plain:
                filled = any(c and not c.isspace() for c in cells)
            else:
                filled = any(cell_text(c) for c in cells)
            if not filled:
                continue
            if header_seen:
                rows += 1
            else:
                header_seen = True
        return rows


class CsvLoanBook(LoanBookReader):
    file_format = FileFormat.CSV
    cells_are_text = True

    def __init__(self, fileobj: BinaryIO, limits: FileLimits | None = None):
        super().__init__(fileobj, limits)
        self.encoding = detect_encoding(fileobj)
        self.delimiter = self._sniff_delimiter()

    def _text(self) -> io.TextIOWrapper:
        self.fileobj.seek(0)
        # newline="" hands line endings (CRLF, LF, CR, and newlines inside
        # quoted fields) to the csv module, which is the only correct owner.
        return io.TextIOWrapper(_NonClosing(self.fileobj), encoding=self.encoding, newline="", errors="strict")

    def _sniff_delimiter(self) -> str:
        text = self._text()
        first = ""
        for line in text:
            if line.strip():
                first = line
                break
        text.detach()
        counts = {d: _count_outside_quotes(first, d) for d in (",", ";", "\t", "|")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","

    def _rows(self) -> Iterator[tuple[int, list]]:
        text = self._text()
        # A cell longer than this is a csv.Error (the limit is process-wide:
        # every reader sets it to the same FILE_LIMIT_CELL_CHARS).
        csv.field_size_limit(self.limits.cell_chars)
        try:
            reader = csv.reader(text, delimiter=self.delimiter)
            last, count = 0, 0
            for cells in reader:
                start = last + 1
                last = reader.line_num
                count += 1
                self._bounded(start, count, cells)
                yield start, cells
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise LoanBookError(
                    str(self.limits.exceeded("cell_chars", f"line {last + 1} has a cell longer than {self.limits.cell_chars:,} characters"))
                ) from None
            raise LoanBookError(f"line {last + 1}: the CSV cannot be read ({exc})") from exc
        except UnicodeDecodeError as exc:  # pragma: no cover - detect_encoding read it all already
            raise LoanBookError(f"the file is not valid {self.encoding}: {exc}") from exc
        finally:
            text.detach()


class XlsxLoanBook(LoanBookReader):
    file_format = FileFormat.XLSX
    encoding = ""
    delimiter = ""
    _checked = False

    def _rows(self) -> Iterator[tuple[int, list]]:
        from openpyxl import load_workbook  # noqa: PLC0415 — openpyxl is slow to import; only an .xlsx book needs it

        if not self._checked:  # once per reader, however many passes read it
            check_xlsx(self.fileobj, self.limits, actual=True)
            self._checked = True
        self.fileobj.seek(0)
        try:
            workbook = load_workbook(_NonClosing(self.fileobj), read_only=True, data_only=True)
        except Exception as exc:
            raise LoanBookError(f"the file is not a readable XLSX workbook ({exc.__class__.__name__}: {exc})") from exc
        max_chars = self.limits.cell_chars
        try:
            sheet = workbook.worksheets[0]
            for count, row in enumerate(sheet.iter_rows(), start=1):
                cells = [c.value for c in row]
                line = next((c.row for c in row if getattr(c, "row", None)), None)
                self._bounded(line or count, count, cells)
                for value in cells:
                    if isinstance(value, str) and len(value) > max_chars:
                        raise LoanBookError(str(self.limits.exceeded("cell_chars", f"a cell on line {line} holds {len(value):,} characters")))
                yield line, cells
        finally:
            workbook.close()


def check_xlsx(fileobj: BinaryIO, limits: FileLimits, *, actual: bool = False) -> None:
    """Hold an XLSX's directory to the limits before anything decompresses it
    (``actual``: and each part's real size, inflated as a stream: the worker)."""
    try:
        check_zip(_NonClosing(fileobj), limits, actual=actual)
    except LimitExceeded as exc:
        raise LoanBookError(str(exc)) from None
    except zipfile.BadZipFile as exc:
        raise LoanBookError(f"the file is not a readable XLSX workbook (BadZipFile: {exc})") from None
    finally:
        fileobj.seek(0)


class _NonClosing(io.RawIOBase):
    """Let a text wrapper or zip reader use a file without closing it after."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return self._raw.seek(offset, whence)

    def tell(self):
        return self._raw.tell()

    def readinto(self, buffer):
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size=-1):
        return self._raw.read(size)


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def detect_encoding(fileobj: BinaryIO) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252, else Latin-1.

    Decided by decoding the whole file incrementally, never by guessing from
    a sample: a single é on line 90,000 must not break the import there.
    Windows-1252 is Latin-1 plus the curly quotes and € that Excel writes;
    the few bytes it leaves undefined send the file to plain Latin-1.
    """
    fileobj.seek(0)
    head = fileobj.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        candidates = ["utf-8", "cp1252"]
    fileobj.seek(0)
    decoders = {name: codecs.getincrementaldecoder(name)() for name in candidates}
    while decoders:
        block = fileobj.read(_BLOCK)
        final = not block
        if b"\x00" in block:
            raise LoanBookError("the file contains NUL bytes: it is binary, not a CSV text file")
        for name in list(decoders):
            try:
                decoders[name].decode(block, final)
            except UnicodeDecodeError:
                del decoders[name]
        if final:
            break
    fileobj.seek(0)
    for name in candidates:
        if name in decoders:
            return name
    return "latin-1"


def _refuse_by_content(head: bytes, filename: str) -> None:
    lower = (filename or "").lower()
    if head.startswith(ZIP_MAGIC):
        return
    if lower.endswith(".xlsx"):
        raise LoanBookError(f"{filename!r} is named .xlsx but is not an Excel workbook")
    if head.startswith(OLE_MAGIC) or lower.endswith(".xls"):
        raise LoanBookError(f"{filename!r} is a legacy .xls workbook: save it as .xlsx or .csv and upload again")
    if head.startswith(PDF_MAGIC):
        raise LoanBookError(f"{filename!r} is a PDF, not a loan book: upload a .csv or .xlsx file")


def open_loan_book(fileobj: BinaryIO, filename: str = "", limits: FileLimits | None = None) -> LoanBookReader:
    """The right reader for ``fileobj`` (a seekable binary file), by content first, name second."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    _refuse_by_content(head, filename)
    if head.startswith(ZIP_MAGIC):
        return XlsxLoanBook(fileobj, limits)
    return CsvLoanBook(fileobj, limits)


# --------------------------------------------------------------------------- the web request's look


@dataclass
class LoanBookShape:
    """What a web request learns of a loan book from its first bytes (the worker reads it all)."""

    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]  # empty: the header lies beyond what the request reads; the worker checks it


def sniff_loan_book(fileobj: BinaryIO, filename: str = "", limits: FileLimits | None = None) -> LoanBookShape:
    """The loan book's format and header, read from at most ``SNIFF_BYTES``
    (of each part of an XLSX, whose directory is checked against the limits
    first). Raises ``LoanBookError`` for a file that is not a loan book,
    has no loan-book header, or is past a limit it can see."""
    limits = limits or loan_book_limits()
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    _refuse_by_content(head, filename)
    if head.startswith(ZIP_MAGIC):
        check_xlsx(fileobj, limits)
        headers = _xlsx_header(fileobj)
        if headers is not None:
            map_headers(headers)
        return LoanBookShape(FileFormat.XLSX, "", "", headers or [])
    sample = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    if len(sample) == SNIFF_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # whole lines only (no character cut in two)
    reader = CsvLoanBook(io.BytesIO(sample), limits)
    header_map = reader.read_header()
    return LoanBookShape(FileFormat.CSV, reader.encoding, reader.delimiter, header_map.headers)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COLUMN = re.compile(r"[A-Z]+")


class _Beyond(Exception):
    """What was looked for lies beyond the bytes a request reads."""


class _SniffRead(io.RawIOBase):
    def __init__(self, raw: BinaryIO):
        self._raw, self._left = raw, SNIFF_BYTES

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._left <= 0:
            raise _Beyond
        data = self._raw.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _elements(archive: zipfile.ZipFile, name: str, tag: str) -> Iterator[ET.Element]:
    try:
        member = archive.open(name)
    except KeyError:
        raise LoanBookError(f"the file is not a readable XLSX workbook (no part {name!r})") from None
    with member:
        try:
            for _event, element in ET.iterparse(io.BufferedReader(_SniffRead(member)), events=("end",)):
                if element.tag == tag:
                    yield element
        except ET.ParseError as exc:
            raise LoanBookError(f"the file is not a readable XLSX workbook ({name}: {exc})") from None


def _first_sheet(archive: zipfile.ZipFile) -> str:
    first = next(_elements(archive, "xl/workbook.xml", _MAIN + "sheet"), None)
    if first is None:
        raise LoanBookError("the workbook has no sheet")
    rid = first.get(_DOC_REL + "id")
    for rel in _elements(archive, "xl/_rels/workbook.xml.rels", _PKG_REL + "Relationship"):
        if rel.get("Id") == rid:
            target = rel.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise LoanBookError("the workbook's first sheet cannot be found")


def _column(ref: str | None, default: int) -> int:
    letters = _COLUMN.match(ref or "")
    if not letters:
        return default
    number = 0
    for ch in letters.group():
        number = number * 26 + ord(ch) - 64
    return number - 1


def _xlsx_header(fileobj: BinaryIO) -> list[str] | None:
    """The first non-blank row of the first sheet, as text; None when it (or
    its shared strings) lie beyond ``SNIFF_BYTES`` of their part."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(_NonClosing(fileobj)) as archive:
            row = None
            for element in _elements(archive, _first_sheet(archive), _MAIN + "row"):
                cells: dict[int, tuple[str, str]] = {}
                for n, cell in enumerate(element.iter(_MAIN + "c")):
                    kind = cell.get("t", "n")
                    if kind == "inlineStr":
                        text = "".join(t.text or "" for t in cell.iter(_MAIN + "t"))
                    else:
                        value = cell.find(_MAIN + "v")
                        text = value.text or "" if value is not None else ""
                    if text.strip():
                        cells[_column(cell.get("r"), n)] = (kind, text)
                if cells:
                    row = cells
                    break
                element.clear()
            if row is None:
                raise LoanBookError("the file is empty: no header row found")
            wanted = {int(text) for kind, text in row.values() if kind == "s" and text.isdigit()}
            strings: dict[int, str] = {}
            if wanted:
                for index, item in enumerate(_elements(archive, "xl/sharedStrings.xml", _MAIN + "si")):
                    if index in wanted:
                        strings[index] = "".join(t.text or "" for t in item.iter(_MAIN + "t"))
                        if len(strings) == len(wanted):
                            break
                    item.clear()
    except _Beyond:
        return None
    except zipfile.BadZipFile as exc:
        raise LoanBookError(f"the file is not a readable XLSX workbook (BadZipFile: {exc})") from None
    finally:
        fileobj.seek(0)
    headers = [""] * (max(row) + 1)
    for column, (kind, text) in row.items():
        headers[column] = strings.get(int(text), "") if kind == "s" and text.isdigit() else text
    return headers
