"""The statement table of a PDF, from the words and lines of ``pdftext``.

Find the table's header row by its labels and cut columns at the header
words' left edges. Rows are the bands between the table's horizontal rules
when it draws them (any vertical alignment of the cells then reads right);
without rules a row starts at its transaction id and wrapped lines follow
it. Nothing here depends on pixel positions of a particular file: only on
header labels, rules and the order of things on the page.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import pypdfium2 as pdfium

from statements.engine.pdftext import Line, Probe, group_lines, page_words

# A wrapped line of a cell sits within about two text lines of the one above;
# text further down (totals, disclaimers, page footers) is not part of a row.
CONTINUATION_GAP = 18.0
_FOOTER = re.compile(r"^(page\s*\d+(\s*(of|/)\s*\d+)?|\d+\s*(of|/)\s*\d+)$", re.IGNORECASE)


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
    # Worked out once from ``columns``: each column's labels as lower-case
    # words, and every such word (the cheap test of ``may_be_header``).
    _tokens: tuple[tuple[tuple[str, ...], ...], ...] = field(init=False, repr=False, compare=False)
    _words: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
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


_DAY = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}[-/ ][A-Za-z]{3,9}[-/ ]\d{2,4}")


def match_header(line: Line, spec: TableSpec) -> list[tuple[str, float]] | None:
    """[(column, left x)] when ``line`` is the table's header row, else None."""
    tokens = [w.text.casefold() for w in line.words]
    found: list[tuple[str, float]] = []
    pos = 0
    for column, alternatives in zip(spec.columns, spec._tokens, strict=True):
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


def read_table(doc: pdfium.PdfDocument, spec: TableSpec, *, pages: Sequence[int] | None = None, probe: Probe | None = None) -> TableRead:
    """Every data row of the statement table, across pages.

    Where the page's horizontal rules separate rows, a row is everything
    between two rules (``_row_bands``). Otherwise a row begins on a line whose ``spec.key`` cell has a value and whose
    ``spec.date`` cell starts with a date; other lines are wrapped text of the
    row above (multi-line descriptions, a date with its time underneath).
    The header repeated at the top of each page is skipped; a header row
    anywhere else is counted in ``header_repeats``. With a ``probe``, each
    page's forensic facts are gathered in the same pass, with where its
    table's header sits and how many rows it holds.
    """
    result = TableRead(page_count=len(doc))
    columns: _Columns | None = None
    current: TableRow | None = None
    for index in pages if pages is not None else range(len(doc)):
        rules: list[float] = []
        lines = group_lines(page_words(doc, index, rules, probe))
        first_row = len(result.rows) + 1
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
        header_at = {i - (len(lines) - len(body)) for i in header_lines}
        page = _PageRows(index + 1, result.rows, current)
        bands = _row_bands(body, header_at, rules, columns, spec)
        if bands is not None:
            _read_bands(bands, spec, page)
        else:
            _read_lines(body, header_at, columns, spec, page, last_y)
        current = page.current
        if probe is not None and probe.pages:
            facts = probe.pages[-1]
            facts.rows = page.count
            facts.first_row = first_row
            facts.header_y = lines[headers[0][0]].y if headers else None
            facts.columns = list(zip(columns.names, columns.bounds, strict=True)) if columns is not None else []
    return result


class _PageRows:
    """The rows read from one page, appended to the table's. ``current`` is
    the row that following text may continue: at the top of the page, the
    last row of the previous page."""

    __slots__ = ("page", "rows", "current", "count")

    def __init__(self, page: int, rows: list[TableRow], current: TableRow | None):
        self.page = page  # 1-based
        self.rows = rows
        self.current = current
        self.count = 0  # rows begun on this page

    def start(self, cells: dict[str, list[str]]) -> None:
        self.count += 1
        self.current = TableRow(page=self.page, row=self.count, cells={k: " ".join(v) for k, v in cells.items()})
        self.rows.append(self.current)


def _add_wrapped_text(row: TableRow, cells: dict[str, list[str]]) -> None:
    for name, parts in cells.items():
        text = " ".join(parts)
        row.cells[name] = f"{row.cells[name]} {text}" if row.cells.get(name) else text


def _read_bands(bands: list[list[dict[str, list[str]]]], spec: TableSpec, page: _PageRows) -> None:
    """Rows from the bands between a page's rules: one band, one row."""
    for band in bands:
        cells: dict[str, list[str]] = {}
        for line_cells in band:
            for name, parts in line_cells.items():
                cells.setdefault(name, []).extend(parts)
        key, date = cells.get(spec.key), cells.get(spec.date)
        if key and date and _DAY.match(date[0]):
            page.start(cells)
        elif page.current is not None and page.count == 0:
            # The rest of a row that a page break cut in two.
            _add_wrapped_text(page.current, cells)


def _read_lines(
    body: list[Line], header_at: set[int], columns: _Columns, spec: TableSpec, page: _PageRows, last_y: float | None
) -> None:
    """Rows from a page without rules between them, line by line: a row
    starts at its id and date, and lines close below it are its wrapped text."""
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
            page.start(cells)
            last_y = line.y
        elif page.current is not None and (last_y is None or last_y - line.y <= CONTINUATION_GAP):
            # Wrapped text of the row above (or, at the top of a page
            # without a header, of the last row of the previous page).
            _add_wrapped_text(page.current, cells)
            last_y = line.y


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
