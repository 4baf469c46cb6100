"""One statement file's bytes and, lazily, the views parsers read it through
(PDF pages, CSV rows, a spreadsheet's first sheet), each built at most once
however many parsers look at the file.

Every view is bounded by the ``FileLimits`` the source was given
(``core.limits``): a gzip is decompressed as a stream and refused past the
byte cap, a workbook's directory is checked before openpyxl opens it, a PDF's
page count before any page is read, and rows, columns and cells as they are
read (one length check per row; ``csv`` bounds the cells itself). Past a
limit the engine raises ``LimitExceeded`` naming the setting.
"""
from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TypeVar

import pypdfium2

from core.limits import FileLimits, check_zip
from core.limits import LimitExceeded as _Limit
from statements.engine import sniff
from statements.engine.errors import CorruptFile, LimitExceeded, UnsupportedFile
from statements.engine.pdftext import Line, group_lines, open_pdf, page_words, require_text
from statements.engine.vocabulary import FileKind


@dataclass
class Source:
    """One file's bytes and, lazily, the views parsers read it through."""

    data: bytes
    kind: FileKind
    password: str | None = None
    limits: FileLimits = field(default_factory=FileLimits)
    _pdf: pypdfium2.PdfDocument | None = field(default=None, repr=False)
    _page1: list[Line] | None = field(default=None, repr=False)
    _csv: list[list[str]] | None = field(default=None, repr=False)
    _sheet: Sequence[Sequence[object]] | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, *, password: str | None = None, limits: FileLimits | None = None) -> Source:
        return cls(data=data, kind=sniff.sniff_kind(data), password=password, limits=limits or FileLimits())

    # ---- PDF
    def pdf(self) -> pypdfium2.PdfDocument:
        if self._pdf is None:
            doc = open_pdf(self.data, self.password)
            # Opening reads only the cross-reference table: the page count is
            # known before any page is parsed.
            pages = len(doc)
            if pages > self.limits.pdf_pages:
                doc.close()
                raise _refused(self.limits.exceeded("pdf_pages", f"the PDF has {pages:,} pages"))
            require_text(doc)
            self._pdf = doc
        return self._pdf

    def page1_lines(self) -> list[Line]:
        if self._page1 is None:
            doc = self.pdf()
            self._page1 = group_lines(page_words(doc, 0)) if len(doc) else []
        return self._page1

    def page1_text(self) -> str:
        return "\n".join(line.text for line in self.page1_lines())

    # ---- text
    def csv_rows(self) -> list[list[str]]:
        """The rows of a (possibly gzip-compressed) CSV file, read as a stream:
        UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
        if self._csv is None:
            for encoding in sniff.TEXT_ENCODINGS:
                try:
                    self._csv = self._read_csv(encoding)
                    break
                except UnicodeDecodeError:
                    continue
        assert self._csv is not None  # latin-1 decodes anything
        return self._csv

    def _bytes_stream(self) -> IO[bytes]:
        if self.kind == FileKind.GZIP_CSV:
            return sniff.gunzip_stream(self.data, self.limits)
        return io.BytesIO(self.data)

    def _read_csv(self, encoding: str) -> list[list[str]]:
        def sample() -> str:
            with io.TextIOWrapper(self._bytes_stream(), encoding=encoding, newline="") as text:
                return text.read(4096)

        # The delimiter seen most in the first lines (exports use commas;
        # a re-saved file may use semicolons or tabs).
        delimiter = max(",;\t", key=_guarded(sample).count)

        def rows() -> list[list[str]]:
            with io.TextIOWrapper(self._bytes_stream(), encoding=encoding, newline="") as text:
                return bounded_rows(csv.reader(text, delimiter=delimiter), self.limits)

        return _guarded(rows)

    # ---- spreadsheets
    def sheet_rows(self) -> Sequence[Sequence[object]]:
        """The first worksheet's rows of an .xlsx or .xls file (cells as the
        workbook holds them: numbers, dates, text, None); a CSV file's rows."""
        if self._sheet is None:
            if self.kind == FileKind.XLSX:
                self._sheet = _xlsx_rows(self.data, self.limits)
            elif self.kind == FileKind.XLS:
                self._sheet = _xls_rows(self.data, self.limits)
            else:
                self._sheet = self.csv_rows()
        return self._sheet

    def close(self) -> None:
        doc, self._pdf = self._pdf, None
        if doc is not None:
            doc.close()


def _refused(exc: _Limit) -> LimitExceeded:
    return LimitExceeded(str(exc))


_T = TypeVar("_T")


def _guarded(read: Callable[[], _T]) -> _T:
    """``read()``, with the limits' and the decompressor's failures as the engine's errors."""
    try:
        return read()
    except _Limit as exc:
        raise _refused(exc) from None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise LimitExceeded(f"the file is over a limit: a CSV cell is longer than the most allowed ({exc}; set by FILE_LIMIT_CELL_CHARS)") from None
        raise CorruptFile(f"the CSV cannot be read: {exc}") from exc
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise CorruptFile(f"the gzip file is damaged or truncated: {exc}") from exc


def bounded_rows(rows: Iterable[list[str]], limits: FileLimits) -> list[list[str]]:
    """The rows, refused past ``limits.rows`` rows or ``limits.columns`` cells
    in a row (one comparison each per row). ``csv`` bounds a cell's length
    (``field_size_limit``, set to ``limits.cell_chars``)."""
    csv.field_size_limit(limits.cell_chars)
    out: list[list[str]] = []
    max_rows, max_columns = limits.rows, limits.columns
    for row in rows:
        if len(row) > max_columns:
            raise limits.exceeded("columns", f"row {len(out) + 1} has {len(row):,} cells")
        out.append(row)
        if len(out) > max_rows:
            raise limits.exceeded("rows", f"the file has more than {max_rows:,} rows")
    return out


def _check_sheet_row(row: Sequence[object], n: int, limits: FileLimits) -> None:
    if n > limits.rows:
        raise limits.exceeded("rows", f"the sheet has more than {limits.rows:,} rows")
    if len(row) > limits.columns:
        raise limits.exceeded("columns", f"row {n} has {len(row):,} cells")
    for value in row:
        if isinstance(value, str) and len(value) > limits.cell_chars:
            raise limits.exceeded("cell_chars", f"a cell in row {n} holds {len(value):,} characters")


def _xlsx_rows(data: bytes, limits: FileLimits) -> list[list[object]]:
    from openpyxl import load_workbook  # noqa: PLC0415 - a tenth of a second to import, and only spreadsheets need it

    try:
        check_zip(io.BytesIO(data), limits, actual=True)
    except _Limit as exc:
        raise _refused(exc) from None
    except zipfile.BadZipFile as exc:
        raise CorruptFile(f"a ZIP file that is not a readable Excel workbook ({exc})") from exc
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise CorruptFile(f"a ZIP file that is not a readable Excel workbook ({exc})") from exc
    except Exception as exc:  # openpyxl raises a handful of types for foreign ZIPs
        raise UnsupportedFile(f"a ZIP file that is not an Excel workbook ({type(exc).__name__}: {exc})") from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[object]] = []
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            _check_sheet_row(values, n, limits)
            rows.append(list(values))
        return rows
    except _Limit as exc:
        raise _refused(exc) from None
    finally:
        workbook.close()


def _xls_rows(data: bytes, limits: FileLimits) -> list[list[object]]:
    import xlrd  # noqa: PLC0415 - slow to import, and only .xls statements need it

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:
        raise CorruptFile(f"the .xls workbook cannot be read ({type(exc).__name__}: {exc})") from exc
    try:
        if book.nsheets > limits.sheets:
            raise limits.exceeded("sheets", f"the workbook has {book.nsheets:,} sheets")
        sheet = book.sheet_by_index(0)
        if sheet.nrows > limits.rows:
            raise limits.exceeded("rows", f"the sheet has {sheet.nrows:,} rows")
        if sheet.ncols > limits.columns:
            raise limits.exceeded("columns", f"the sheet has {sheet.ncols:,} columns")
    except _Limit as exc:
        book.release_resources()
        raise _refused(exc) from None
    rows: list[list[object]] = []
    for r in range(sheet.nrows):
        values: list[object] = []
        for cell in sheet.row(r):
            if cell.ctype == xlrd.XL_CELL_DATE:
                values.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype == xlrd.XL_CELL_EMPTY:
                values.append(None)
            elif isinstance(cell.value, str) and len(cell.value) > limits.cell_chars:
                book.release_resources()
                raise _refused(limits.exceeded("cell_chars", f"a cell in row {r + 1} holds {len(cell.value):,} characters"))
            else:
                values.append(cell.value)
        rows.append(values)
    book.release_resources()
    return rows
