"""Words, lines and tables from a PDF's text layer, with pypdfium2.

pdfplumber's layout analysis is thorough but slow (a third of a second a
page); a statement table only needs each word and where it sits. PDFium
gives the page text and every character's box; we take one box at each end
of a word, group words into lines by baseline, find the table's header row
by its labels and cut columns at the header words' left edges. Rows are the
bands between the table's horizontal rules when it draws them (any vertical
alignment of the cells then reads right); without rules a row starts at its
transaction id and wrapped lines follow it. Nothing here depends on pixel
positions of a particular file: only on header labels, rules and the order
of things on the page.
"""
from __future__ import annotations

import ctypes
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from statements.engine.errors import CorruptFile, NoTextLayer, PasswordRequired, UnsupportedFile, WrongPassword
from statements.engine.types import PdfMetadata

_WORD = re.compile(r"\S+")
# Two baselines closer than this are one line (rows are >= 8pt apart).
LINE_TOLERANCE = 2.0
# A wrapped line of a cell sits within about two text lines of the one above;
# text further down (totals, disclaimers, page footers) is not part of a row.
CONTINUATION_GAP = 18.0
# A horizontal rule: a path at most this thick and at least this long (points).
RULE_THICKNESS = 2.0
RULE_MIN_LENGTH = 40.0
# Gap between words that separates two "Label: value" blocks on one line.
BLOCK_GAP = 14.0
_FOOTER = re.compile(r"^(page\s*\d+(\s*(of|/)\s*\d+)?|\d+\s*(of|/)\s*\d+)$", re.IGNORECASE)


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    y: float  # baseline, PDF coordinates (larger is higher on the page)

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(slots=True)
class Line:
    y: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def blocks(self, gap: float = BLOCK_GAP) -> list[str]:
        """The line's text cut where words are far apart (side-by-side fields)."""
        out: list[list[str]] = []
        last_x1 = None
        for word in self.words:
            if last_x1 is None or word.x0 - last_x1 > gap:
                out.append([])
            out[-1].append(word.text)
            last_x1 = word.x1
        return [" ".join(parts) for parts in out]


def open_pdf(data: bytes, password: str | None = None) -> pdfium.PdfDocument:
    """Open a PDF, turning PDFium's failures into the engine's errors."""
    # PDFium rebuilds a damaged cross-reference table and would happily read
    # the first pages of a file cut short; a statement missing its last pages
    # must not verify, so a PDF without its end-of-file marker is refused.
    if b"%%EOF" not in data[-2048:]:
        raise CorruptFile(f"the PDF is truncated or damaged: no end-of-file marker ({len(data):,} bytes)")
    try:
        return pdfium.PdfDocument(data, password=password or None)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            if password:
                raise WrongPassword("the PDF is password-protected and the password given is wrong") from exc
            raise PasswordRequired("the PDF is password-protected: a password is needed to read it") from exc
        if "format" in message.lower() or "file" in message.lower():
            raise CorruptFile(f"the PDF is damaged and cannot be read ({message})") from exc
        if "security" in message.lower():
            raise PasswordRequired(f"the PDF is protected by an unsupported security scheme ({message})") from exc
        raise UnsupportedFile(f"the PDF cannot be opened ({message})") from exc


_PDF_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(Z|[+-]\d{2}'?\d{2}'?)?")


def parse_pdf_date(value: str) -> datetime | None:
    """``D:20250901101500+03'00'`` -> an aware datetime (naive when no zone)."""
    match = _PDF_DATE.match((value or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        dt = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if zone == "Z":
        return dt.replace(tzinfo=timezone.utc)
    if zone:
        digits = zone.replace("'", "")
        sign = -1 if digits[0] == "-" else 1
        offset = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5] or 0))
        return dt.replace(tzinfo=timezone(sign * offset))
    return dt


def read_metadata(doc: pdfium.PdfDocument) -> PdfMetadata:
    info = doc.get_metadata_dict(skip_empty=False)
    created_raw = (info.get("CreationDate") or "").strip()
    modified_raw = (info.get("ModDate") or "").strip()
    return PdfMetadata(
        title=(info.get("Title") or "").strip(),
        author=(info.get("Author") or "").strip(),
        creator=(info.get("Creator") or "").strip(),
        producer=(info.get("Producer") or "").strip(),
        created=parse_pdf_date(created_raw),
        modified=parse_pdf_date(modified_raw),
        created_raw=created_raw,
        modified_raw=modified_raw,
    )


def horizontal_rules(page: pdfium.PdfPage) -> list[float]:
    """The heights of the horizontal lines drawn on the page (table rules).

    Raw PDFium calls: a statement page has hundreds of path objects and only
    their bounds are needed.
    """
    raw = page.raw
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    get_object, get_type, get_bounds = pdfium_c.FPDFPage_GetObject, pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDFPageObj_GetBounds
    path = pdfium_c.FPDF_PAGEOBJ_PATH
    ys: list[float] = []
    for k in range(pdfium_c.FPDFPage_CountObjects(raw)):
        obj = get_object(raw, k)
        if get_type(obj) != path or not get_bounds(obj, left, bottom, right, top):
            continue
        if top.value - bottom.value <= RULE_THICKNESS and right.value - left.value >= RULE_MIN_LENGTH:
            ys.append((top.value + bottom.value) / 2)
    return ys


def page_words(doc: pdfium.PdfDocument, index: int, rules: list[float] | None = None) -> list[Word]:
    """Every word on page ``index`` with its horizontal extent and baseline
    (and, when a ``rules`` list is given, the page's horizontal rules added to it).

    One PDFium call per word end instead of per character: PDFium already
    puts spaces and line breaks between separate pieces of text, so a run of
    non-space characters is a word. A run that is far wider than its letters
    could be (two cells printed with no space between) is cut at its gaps.
    """
    page = doc[index]
    textpage = page.get_textpage()
    try:
        if rules is not None:
            rules.extend(horizontal_rules(page))
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        raw = textpage.raw
        left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        ox, oy = ctypes.c_double(), ctypes.c_double()
        get_box, get_origin, get_size = pdfium_c.FPDFText_GetCharBox, pdfium_c.FPDFText_GetCharOrigin, pdfium_c.FPDFText_GetFontSize
        pl, pr, pb, pt, pox, poy = (ctypes.byref(v) for v in (left, right, bottom, top, ox, oy))
        words: list[Word] = []
        append = words.append
        for match in _WORD.finditer(text):
            start, end = match.span()
            get_box(raw, start, pl, pr, pb, pt)
            x0 = left.value
            get_origin(raw, start, pox, poy)
            y = oy.value
            if end - start > 1:
                get_box(raw, end - 1, pl, pr, pb, pt)
            x1 = right.value
            word = match.group()
            if end - start > 1 and x1 - x0 > (end - start) * max(get_size(raw, start), 4.0) * 1.2:
                words.extend(_split_wide(raw, word, start, y))
                continue
            append(Word(word, x0, x1, y))
        return words
    finally:
        textpage.close()
        page.close()


def _split_wide(raw, word: str, start: int, y: float) -> list[Word]:
    """Cut a run of characters wherever two neighbours are far apart."""
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    boxes = []
    for offset in range(len(word)):
        pdfium_c.FPDFText_GetCharBox(raw, start + offset, ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
        boxes.append((left.value, right.value))
    size = max(pdfium_c.FPDFText_GetFontSize(raw, start), 4.0)
    out: list[Word] = []
    begin = 0
    for i in range(1, len(word) + 1):
        if i == len(word) or boxes[i][0] - boxes[i - 1][1] > size * 0.6:
            out.append(Word(word[begin:i], boxes[begin][0], boxes[i - 1][1], y))
            begin = i
    return out


def group_lines(words: list[Word]) -> list[Line]:
    """Words grouped by baseline, top of the page first, left to right."""
    if not words:
        return []
    ordered = sorted(words, key=lambda w: -w.y)
    lines: list[Line] = []
    current = [ordered[0]]
    line_y = ordered[0].y
    for word in ordered[1:]:
        if line_y - word.y > LINE_TOLERANCE:
            lines.append(Line(line_y, sorted(current, key=lambda w: w.x0)))
            current = [word]
            line_y = word.y
        else:
            current.append(word)
    lines.append(Line(line_y, sorted(current, key=lambda w: w.x0)))
    return lines


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    name: str
    labels: tuple[str, ...]  # accepted spellings of the header label


@dataclass(frozen=True)
class TableSpec:
    """The header of a statement table and how its rows begin."""

    columns: tuple[Column, ...]
    key: str  # a new row starts where this column has a value ...
    date: str  # ... and this column starts with a date
    min_matched: int  # header labels that must be found to call a line the header

    def __post_init__(self):
        tokens = tuple(tuple(tuple(label.casefold().split()) for label in col.labels) for col in self.columns)
        object.__setattr__(self, "_tokens", tokens)
        object.__setattr__(self, "_words", frozenset(t for col in tokens for label in col for t in label))

    def may_be_header(self, line: Line) -> bool:
        """Cheap test before ``match_header``: a few of the labels' words on the line."""
        words = self._words
        return sum(1 for w in line.words if w.text.casefold() in words) >= 3


@dataclass(slots=True)
class TableRow:
    page: int  # 1-based
    row: int  # 1-based within the page
    cells: dict[str, str]


@dataclass(slots=True)
class TableRead:
    rows: list[TableRow] = field(default_factory=list)
    header_found: bool = False
    header_repeats: int = 0  # header rows found below the top of a page's table
    page1_above: list[Line] = field(default_factory=list)
    page1_text: str = ""
    page_count: int = 0
    has_text: bool = False


_DAY = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}[-/ ][A-Za-z]{3,9}[-/ ]\d{2,4}")


def match_header(line: Line, spec: TableSpec) -> list[tuple[str, float]] | None:
    """[(column, left x)] when ``line`` is the table's header row, else None."""
    tokens = [w.text.casefold() for w in line.words]
    found: list[tuple[str, float]] = []
    pos = 0
    for column, alternatives in zip(spec.columns, spec._tokens):
        for label in alternatives:
            n = len(label)
            hit = next((j for j in range(pos, len(tokens) - n + 1) if tokens[j : j + n] == list(label)), None)
            if hit is not None:
                found.append((column.name, line.words[hit].x0))
                pos = hit + n
                break
    if len(found) < spec.min_matched:
        return None
    return found


# Baselines of a header label wrapped in its cell are about one text line apart.
HEADER_WRAP_GAP = 12.0


def find_headers(lines: list[Line], spec: TableSpec) -> tuple[list[tuple[int, list[tuple[str, float]]]], set[int]]:
    """The page's header rows as [(line index, columns)], and every line index
    they cover. A header whose labels wrap in narrow cells ("Transaction"
    over "ID") spans two lines: those are read together, each cell's words
    in order down the cell."""
    headers: list[tuple[int, list[tuple[str, float]]]] = []
    covered: set[int] = set()
    i = 0
    while i < len(lines):
        if not spec.may_be_header(lines[i]):
            i += 1
            continue
        found = match_header(lines[i], spec)
        if found is not None:
            headers.append((i, found))
            covered.add(i)
            i += 1
            continue
        if i + 1 < len(lines) and lines[i].y - lines[i + 1].y <= HEADER_WRAP_GAP:
            words = sorted(lines[i].words + lines[i + 1].words, key=lambda w: (round(w.x0), -w.y))
            found = match_header(Line(lines[i].y, words), spec)
            if found is not None:
                # Column starts from the leftmost word of each label.
                headers.append((i, found))
                covered.update((i, i + 1))
                i += 2
                continue
        i += 1
    return headers, covered


class _Columns:
    def __init__(self, found: list[tuple[str, float]]):
        found = sorted(found, key=lambda item: item[1])
        self.names = [name for name, _ in found]
        # A cell's words start at (or right of) its header label's left edge;
        # the centre of a word decides, so a right-aligned number a little
        # wider than its label still lands in its own column.
        self.bounds = [x - 2.0 for _, x in found]

    def assign(self, line: Line) -> dict[str, list[str]]:
        cells: dict[str, list[str]] = {}
        for word in line.words:
            i = max(bisect_right(self.bounds, word.center) - 1, 0)
            cells.setdefault(self.names[i], []).append(word.text)
        return cells


def read_table(doc: pdfium.PdfDocument, spec: TableSpec, *, pages: Sequence[int] | None = None) -> TableRead:
    """Every data row of the statement table, across pages.

    Where the page's horizontal rules separate rows, a row is everything
    between two rules (``_row_bands``). Otherwise a row begins on a line whose ``spec.key`` cell has a value and whose
    ``spec.date`` cell starts with a date; other lines are wrapped text of the
    row above (multi-line descriptions, a date with its time underneath).
    The header repeated at the top of each page is skipped; a header row
    anywhere else is counted in ``header_repeats``.
    """
    result = TableRead(page_count=len(doc))
    columns: _Columns | None = None
    current: TableRow | None = None
    for index in pages if pages is not None else range(len(doc)):
        rules: list[float] = []
        lines = group_lines(page_words(doc, index, rules))
        if lines:
            result.has_text = True
        if index == 0:
            result.page1_text = "\n".join(line.text for line in lines)
        headers, header_lines = find_headers(lines, spec)
        if headers:
            top, found = headers[0]
            result.header_found = True
            result.header_repeats += len(headers) - 1
            columns = _Columns(found)
            if index == 0:
                result.page1_above = lines[:top]
            body = lines[top:]
            last_y: float | None = lines[top].y
        else:
            # A page without its own header continues the previous page's table.
            if columns is None:
                if index == 0:
                    result.page1_above = lines
                continue
            body = lines
            last_y = None
        row_on_page = 0
        header_at = {i - (len(lines) - len(body)) for i in header_lines}
        bands = _row_bands(body, header_at, rules, columns, spec)
        if bands is not None:
            for band in bands:
                cells: dict[str, list[str]] = {}
                for line_cells in band:
                    for name, parts in line_cells.items():
                        cells.setdefault(name, []).extend(parts)
                key, date = cells.get(spec.key), cells.get(spec.date)
                if key and date and _DAY.match(date[0]):
                    row_on_page += 1
                    current = TableRow(page=index + 1, row=row_on_page, cells={k: " ".join(v) for k, v in cells.items()})
                    result.rows.append(current)
                elif current is not None and row_on_page == 0:
                    # The rest of a row that a page break cut in two.
                    for name, parts in cells.items():
                        text = " ".join(parts)
                        current.cells[name] = f"{current.cells[name]} {text}" if current.cells.get(name) else text
            continue
        for i, line in enumerate(body):
            if i in header_at:
                last_y = line.y
                continue
            if _FOOTER.match(line.text.strip()):
                continue
            cells = columns.assign(line)
            key = cells.get(spec.key)
            date = cells.get(spec.date)
            if key and date and _DAY.match(date[0]):
                row_on_page += 1
                current = TableRow(page=index + 1, row=row_on_page, cells={k: " ".join(v) for k, v in cells.items()})
                result.rows.append(current)
                last_y = line.y
            elif current is not None and (last_y is None or last_y - line.y <= CONTINUATION_GAP):
                # Wrapped text of the row above (or, at the top of a page
                # without a header, of the last row of the previous page).
                for name, parts in cells.items():
                    text = " ".join(parts)
                    current.cells[name] = f"{current.cells[name]} {text}" if current.cells.get(name) else text
                last_y = line.y
    return result


def _row_bands(
    body: list[Line], header_at: set[int], rules: list[float], columns: _Columns, spec: TableSpec
) -> list[list[dict[str, list[str]]]] | None:
    """The cells of the page's data lines, grouped by the horizontal rules
    between rows, top to bottom; None when the page's rules do not separate the rows (no
    rules, or only a frame), and the caller falls back to reading rows line
    by line (a row starts at its transaction id, wrapped lines follow).

    With rules every line of a row belongs to it whatever the cell's
    vertical alignment: a description centred in a tall row starts above
    the line holding the transaction id.
    """
    if len(rules) < 3:
        return None
    ys = sorted({round(y, 1) for y in rules})  # ascending
    bands: dict[int, list[dict[str, list[str]]]] = {}
    keys: dict[int, int] = {}
    key = spec.key
    for i, line in enumerate(body):
        if i in header_at or _FOOTER.match(line.text.strip()):
            continue
        below = bisect_right(ys, line.y)  # rules under this line
        if below == 0 or below == len(ys):
            continue  # outside the ruled table: notes, page footer
        cells = columns.assign(line)
        if key in cells:
            # Two transaction ids between the same pair of rules: the rules
            # are not row separators (a frame, or rules every few rows).
            keys[below] = keys.get(below, 0) + 1
            if keys[below] > 1:
                return None
        bands.setdefault(below, []).append(cells)
    if not bands:
        return None
    return [bands[k] for k in sorted(bands, reverse=True)]


def pdf_has_text(doc: pdfium.PdfDocument) -> bool:
    for index in range(len(doc)):
        page = doc[index]
        textpage = page.get_textpage()
        try:
            if textpage.count_chars() > 0 and textpage.get_text_range().strip():
                return True
        finally:
            textpage.close()
            page.close()
    return False


def require_text(doc: pdfium.PdfDocument) -> None:
    if not pdf_has_text(doc):
        raise NoTextLayer(
            f"the PDF has no text layer ({len(doc)} page(s) of images, e.g. a scan or photo): it cannot be read without OCR"
        )
