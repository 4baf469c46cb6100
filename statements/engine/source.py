"""One statement file's bytes and, lazily, the views parsers read it through
(PDF pages, CSV rows, a spreadsheet's first sheet), each built at most once
however many parsers look at the file."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import pypdfium2

from statements.engine import sniff
from statements.engine.errors import CorruptFile, UnsupportedFile
from statements.engine.pdftext import Line, group_lines, open_pdf, page_words, require_text
from statements.engine.vocabulary import FileKind


@dataclass
class Source:
    """One file's bytes and, lazily, the views parsers read it through."""

    data: bytes
    kind: FileKind
    password: str | None = None
    _pdf: pypdfium2.PdfDocument | None = field(default=None, repr=False)
    _page1: list[Line] | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)
    _csv: list[list[str]] | None = field(default=None, repr=False)
    _sheet: Sequence[Sequence[object]] | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, *, password: str | None = None) -> Source:
        return cls(data=data, kind=sniff.sniff_kind(data), password=password)

    # ---- PDF
    def pdf(self) -> pypdfium2.PdfDocument:
        if self._pdf is None:
            doc = open_pdf(self.data, self.password)
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
    def text(self) -> str:
        if self._text is None:
            self._text = sniff.decode_text(self.data, self.kind)
        return self._text

    def csv_rows(self) -> list[list[str]]:
        if self._csv is None:
            text = self.text()
            sample = text[:4096]
            # The delimiter seen most in the first lines (exports use commas;
            # a re-saved file may use semicolons or tabs).
            delimiter = max(",;\t", key=sample.count)
            self._csv = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        return self._csv

    # ---- spreadsheets
    def sheet_rows(self) -> Sequence[Sequence[object]]:
        """The first worksheet's rows of an .xlsx or .xls file (cells as the
        workbook holds them: numbers, dates, text, None); a CSV file's rows."""
        if self._sheet is None:
            if self.kind == FileKind.XLSX:
                self._sheet = _xlsx_rows(self.data)
            elif self.kind == FileKind.XLS:
                self._sheet = _xls_rows(self.data)
            else:
                self._sheet = self.csv_rows()
        return self._sheet

    def close(self) -> None:
        doc, self._pdf = self._pdf, None
        if doc is not None:
            doc.close()


def _xlsx_rows(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook  # noqa: PLC0415 - a tenth of a second to import, and only spreadsheets need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise CorruptFile(f"a ZIP file that is not a readable Excel workbook ({exc})") from exc
    except Exception as exc:  # openpyxl raises a handful of types for foreign ZIPs
        raise UnsupportedFile(f"a ZIP file that is not an Excel workbook ({type(exc).__name__}: {exc})") from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _xls_rows(data: bytes) -> list[list[object]]:
    import xlrd  # noqa: PLC0415 - slow to import, and only .xls statements need it

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:
        raise CorruptFile(f"the .xls workbook cannot be read ({type(exc).__name__}: {exc})") from exc
    sheet = book.sheet_by_index(0)
    rows: list[list[object]] = []
    for r in range(sheet.nrows):
        values: list[object] = []
        for cell in sheet.row(r):
            if cell.ctype == xlrd.XL_CELL_DATE:
                values.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype == xlrd.XL_CELL_EMPTY:
                values.append(None)
            else:
                values.append(cell.value)
        rows.append(values)
    book.release_resources()
    return rows
