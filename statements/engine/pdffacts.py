"""Gather what the forensic signals read, from the pages the parser already
opened (``page_facts``, called by ``pdftext.page_words``) and from the
file's bytes (``file_facts``). One walk over each page's objects: the
table reader's horizontal rules come out of the same walk.
"""
from __future__ import annotations

import ctypes
import re
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from statements.engine.evidence import Annotation, FileFacts, Fill, PageFacts, TextRun

# A horizontal rule: a path at most this thick and at least this long (points).
RULE_THICKNESS = 2.0
RULE_MIN_LENGTH = 40.0
# A filled shape smaller than this (either side, points) covers no word.
FILL_MIN_SIDE = 3.0
# What one page keeps, however many objects a hostile page holds (a genuine
# statement page has a few hundred text runs and no filled shapes).
MAX_TEXT_RUNS = 20_000
MAX_FILLS = 2_000
# A vertical rule (a table's column edge) is at least this tall.
VERTICAL_MIN_LENGTH = 5.0

ANNOT_SUBTYPES = {
    1: "Text", 2: "Link", 3: "FreeText", 4: "Line", 5: "Square", 6: "Circle", 7: "Polygon", 8: "PolyLine",
    9: "Highlight", 10: "Underline", 11: "Squiggly", 12: "StrikeOut", 13: "Stamp", 14: "Caret", 15: "Ink",
    16: "Popup", 17: "FileAttachment", 18: "Sound", 19: "Movie", 20: "Widget", 21: "Screen", 22: "PrinterMark",
    23: "TrapNet", 24: "Watermark", 25: "3D", 26: "RichMedia", 27: "XFAWidget", 28: "Redact",
}


# FPDFTextObj_GetFont answering the font handle's address as a plain int:
# the cache key, without a ctypes cast per text object.
_font_address = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)(ctypes.cast(pdfium_c.FPDFTextObj_GetFont, ctypes.c_void_p).value or 0)


class FontNames:
    """Base font names by PDFium font handle, looked up once a document."""

    def __init__(self) -> None:
        self.names: dict[int, tuple[str, bool]] = {}
        self._buf = ctypes.create_string_buffer(256)

    def lookup(self, obj: Any, key: int) -> tuple[str, bool]:
        font = pdfium_c.FPDFTextObj_GetFont(obj)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, self._buf, 256)
        name = self._buf.raw[: max(size - 1, 0)].decode("latin-1", "replace") if size else ""
        known = self.names[key] = (name, bool(pdfium_c.FPDFFont_GetIsEmbedded(font)))
        return known


def page_facts(page: pdfium.PdfPage, number: int, fonts: FontNames) -> PageFacts:
    """The page's rules, text runs (font, box), filled shapes and annotations, in drawing order."""
    raw = page.raw
    width, height = page.get_size()
    facts = PageFacts(page=number, width=width, height=height)
    verticals: set[float] = set()
    _walk(raw, pdfium_c.FPDFPage_CountObjects(raw), pdfium_c.FPDFPage_GetObject, None, facts, verticals, fonts, [0])
    facts.verticals = {round(v) / 2 for v in verticals}  # to the nearest half point
    count = pdfium_c.FPDFPage_GetAnnotCount(raw)
    if count > 0:
        rect = pdfium_c.FS_RECTF()
        for i in range(count):
            annot = pdfium_c.FPDFPage_GetAnnot(raw, i)
            if not annot:
                continue
            try:
                subtype = ANNOT_SUBTYPES.get(pdfium_c.FPDFAnnot_GetSubtype(annot), "Unknown")
                box = (rect.left, rect.bottom, rect.right, rect.top) if pdfium_c.FPDFAnnot_GetRect(annot, ctypes.byref(rect)) else (0.0, 0.0, 0.0, 0.0)
                facts.annotations.append(Annotation(subtype, box))
            finally:
                pdfium_c.FPDFPage_CloseAnnot(annot)
    return facts


def _walk(parent: Any, count: int, get_object: Any, transform: tuple[float, float, float, float] | None, facts: PageFacts,
          verticals: set[float], fonts: FontNames, z: list[int]) -> None:
    """The objects under ``parent`` (a page, or a form XObject placed by
    ``transform``: x scale, y scale, x shift, y shift) in drawing order."""
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    pl, pb, pr, pt = ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top)
    get_type, get_bounds = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDFPageObj_GetBounds
    path_type, text_type, form_type = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM
    rules, texts = facts.rules, facts.texts
    names, lookup = fonts.names, fonts.lookup
    k = z[0]
    for index in range(count):
        obj = get_object(parent, index)
        k += 1
        kind = get_type(obj)
        if kind == text_type:
            if not get_bounds(obj, pl, pb, pr, pt):
                continue
            if len(texts) >= MAX_TEXT_RUNS:
                continue
            key = _font_address(obj) or 0
            name, embedded = names.get(key) or lookup(obj, key)
            box = (left.value, bottom.value, right.value, top.value)
            if transform is not None:
                box = _moved(box, transform)
            texts.append(TextRun(name, embedded, box, k))
        elif kind == path_type:
            if not get_bounds(obj, pl, pb, pr, pt):
                continue
            x0, y0, x1, y1 = left.value, bottom.value, right.value, top.value
            if transform is not None:
                x0, y0, x1, y1 = _moved((x0, y0, x1, y1), transform)
            if y1 - y0 <= RULE_THICKNESS:
                if x1 - x0 >= RULE_MIN_LENGTH:
                    rules.append((y0 + y1) / 2)
            elif x1 - x0 <= RULE_THICKNESS:
                if y1 - y0 >= VERTICAL_MIN_LENGTH:
                    verticals.add(x0 + x1)  # twice the x (a column's edge repeats exactly on every row)
            elif x1 - x0 >= FILL_MIN_SIDE and y1 - y0 >= FILL_MIN_SIDE and len(facts.fills) < MAX_FILLS:
                _fill(obj, (x0, y0, x1, y1), k, facts)
        elif kind == form_type:
            z[0] = k
            _walk(obj, pdfium_c.FPDFFormObj_CountObjects(obj), pdfium_c.FPDFFormObj_GetObject, _form_transform(obj, transform),
                  facts, verticals, fonts, z)
            k = z[0]
    z[0] = k


def _moved(box: tuple[float, float, float, float], transform: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    sx, sy, tx, ty = transform
    return (box[0] * sx + tx, box[1] * sy + ty, box[2] * sx + tx, box[3] * sy + ty)


def _form_transform(obj: Any, outer: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)):
        return outer
    sx, sy, tx, ty = outer or (1.0, 1.0, 0.0, 0.0)
    inner = (sx * matrix.a, sy * matrix.d, sx * matrix.e + tx, sy * matrix.f + ty)
    return None if inner == (1.0, 1.0, 0.0, 0.0) else inner


def _fill(obj: Any, box: tuple[float, float, float, float], z: int, facts: PageFacts) -> None:
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    if pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill_mode), ctypes.byref(stroke)) and fill_mode.value:
        r, g, b, a = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        pdfium_c.FPDFPageObj_GetFillColor(obj, ctypes.byref(r), ctypes.byref(g), ctypes.byref(b), ctypes.byref(a))
        facts.fills.append(Fill(box, z, (r.value, g.value, b.value)))


SECURITY_HANDLERS = frozenset({"Standard", "Adobe.PubSec", "Entrust.PPKEF"})
_VERSION = re.compile(rb"%PDF-(\d\.\d)")
_OBJ = re.compile(rb"(?<![0-9])(\d{1,7})\s+(\d{1,5})\s+obj\b")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]*)>\s*<([0-9A-Fa-f]*)>")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_NAME = re.compile(rb"/([A-Za-z0-9]+)")
_XREF_STREAM = re.compile(rb"/Type\s*/XRef\b")
_OBJ_STREAM = re.compile(rb"/Type\s*/ObjStm\b")


def file_facts(data: bytes) -> FileFacts:
    """The PDF's structure read from its bytes (fast scans, no second PDF library)."""
    head = data[:1024]
    version_match = _VERSION.search(head)
    version = version_match.group(1).decode() if version_match else ""
    comment = b""
    if version_match:
        rest = head[version_match.end():].lstrip(b"\r\n")
        if rest.startswith(b"%"):
            comment = re.split(rb"[\r\n]", rest, maxsplit=1)[0][:80]
    filters: dict[str, int] = {}
    for match in _FILTER.finditer(data):
        for name in _NAME.findall(match.group(1)):
            key = name.decode("latin-1")
            if key in SECURITY_HANDLERS:
                continue  # the /Encrypt dictionary's /Filter names its security handler, not a stream filter
            filters[key] = filters.get(key, 0) + 1
    ids = _ID.findall(data[-4096:]) or _ID.findall(data)
    id_pair = (ids[-1][0].decode().upper(), ids[-1][1].decode().upper()) if ids else None
    return FileFacts(
        size=len(data),
        version=version,
        header_comment=comment,
        eof_count=data.count(b"%%EOF"),
        startxref_count=data.count(b"startxref"),
        linearized=b"/Linearized" in data[:4096],
        xref_streams=len(_XREF_STREAM.findall(data)),
        object_streams=len(_OBJ_STREAM.findall(data)),
        id_pair=id_pair,
        object_numbers=[int(m.group(1)) for m in _OBJ.finditer(data)],
        filters=filters,
    )
