"""Words and lines from a PDF's text layer, with pypdfium2 (``pdftable``
reads the statement table from them).

pdfplumber's layout analysis is thorough but slow (a third of a second a
page); a statement table only needs each word and where it sits. PDFium
gives the page text and every character's box; we take one box at each end
of a word, group words into lines by baseline, and note the page's
horizontal rules. Nothing here depends on pixel positions of a particular
file.
"""
from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from statements.engine.errors import CorruptFile, NoTextLayer, PasswordRequired, UnsupportedFile, WrongPassword
from statements.engine.evidence import PageFacts
from statements.engine.pdffacts import FontNames, page_facts
from statements.engine.types import PdfMetadata

_WORD = re.compile(r"\S+")
# Two baselines closer than this are one line (rows are >= 8pt apart).
LINE_TOLERANCE = 2.0
# A horizontal rule: a path at most this thick and at least this long (points).
RULE_THICKNESS = 2.0
RULE_MIN_LENGTH = 40.0
# Gap between words that separates two "Label: value" blocks on one line.
BLOCK_GAP = 14.0


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
        return dt.replace(tzinfo=UTC)
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


@dataclass(slots=True)
class Probe:
    """Collects each page's forensic facts while its words are read (one
    walk over the page's objects gives the rules and the facts)."""

    fonts: FontNames
    pages: list[PageFacts]

    @classmethod
    def new(cls) -> Probe:
        return cls(FontNames(), [])


def page_words(doc: pdfium.PdfDocument, index: int, rules: list[float] | None = None, probe: Probe | None = None) -> list[Word]:
    """Every word on page ``index`` with its horizontal extent and baseline
    (and, when a ``rules`` list is given, the page's horizontal rules added to it;
    with a ``probe``, the page's forensic facts appended to ``probe.pages``).

    One PDFium call per word end instead of per character: PDFium already
    puts spaces and line breaks between separate pieces of text, so a run of
    non-space characters is a word. A run that is far wider than its letters
    could be (two cells printed with no space between) is cut at its gaps.
    """
    page = doc[index]
    textpage = page.get_textpage()
    try:
        if probe is not None:
            facts = page_facts(page, index + 1, probe.fonts)
            probe.pages.append(facts)
            if rules is not None:
                rules.extend(facts.rules)
        elif rules is not None:
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


def _split_wide(raw: pdfium_c.FPDF_TEXTPAGE, word: str, start: int, y: float) -> list[Word]:
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
