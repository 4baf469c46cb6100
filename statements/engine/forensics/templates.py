"""The known shape of each provider format, as data: one ``FormatTemplate``
per format, keyed by the engine's ``Format`` value.

A new genuine sample tunes these values (fonts, geometry, producer,
structure) without touching the signals. The Airtel values are those of
the genuine files the lender receives as the fixtures generator
reproduces them (``fixtures/statements/generate.py``); MTN MoMo's PDF
entry holds the generator's values until genuine files arrive.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormatTemplate:
    name: str
    # ---- producer and metadata
    producers: tuple[str, ...]  # accepted Producer values (prefix match, any case)
    creators: tuple[str, ...] = ()  # accepted Creator values ("" = none), empty tuple = not checked
    has_mod_date: bool | None = None  # genuine files carry a ModDate (None: either)
    # ---- structure
    versions: tuple[str, ...] = ()  # PDF header versions seen in genuine files
    header_comments: tuple[bytes, ...] = ()  # start of the binary comment after the header
    filters: frozenset[str] = frozenset()  # stream filters genuine files use
    id_pair_equal: bool | None = None  # genuine files are written once: both /ID halves equal
    contiguous_objects: bool = True  # object numbers 1..N, each once, no object streams
    # ---- fonts (base font names; a subset prefix "ABCDEF+" is never genuine unless listed)
    fonts: frozenset[str] = frozenset()
    # ---- geometry (points)
    column_edges: tuple[float, ...] = ()  # x of the table's vertical rules, left to right
    column_tolerance: float = 2.0
    row_base: float = 0.0  # a row is row_base + lines * line_pitch high
    line_pitch: float = 0.0
    pitch_tolerance: float = 0.6
    annotations: frozenset[str] = frozenset({"Link"})  # annotation kinds genuine files may carry
    # ---- dates
    max_created_after_period_days: int = 400


@dataclass(frozen=True)
class ToolMark:
    """How a PDF tool shows in a file it wrote: a header comment, or a Producer."""

    tool: str
    header_comment: bytes = b""
    producer: str = ""


AIRTEL_PDF_1 = FormatTemplate(
    name="Airtel PDF format 1",
    producers=("Qt 4.8.7",),
    has_mod_date=False,
    versions=("1.3", "1.4"),
    header_comments=(b"%\x93\x8c\x8b\x9e ReportLab",),
    filters=frozenset({"ASCII85Decode", "FlateDecode"}),
    id_pair_equal=True,
    fonts=frozenset({"Helvetica", "Helvetica-Bold"}),
    column_edges=(30.0, 102.0, 184.0, 434.0, 486.0, 566.0, 624.0, 674.0, 754.0),
    row_base=5.0,
    line_pitch=8.4,
)

AIRTEL_PDF_2 = FormatTemplate(
    name="Airtel PDF format 2",
    producers=("iText 5.3.4",),
    creators=("MOBIQUITY",),
    versions=("1.3", "1.4"),
    header_comments=(b"%\x93\x8c\x8b\x9e ReportLab",),
    filters=frozenset({"ASCII85Decode", "FlateDecode"}),
    id_pair_equal=True,
    fonts=frozenset({"Helvetica", "Helvetica-Bold"}),
    column_edges=(30.0, 88.0, 188.0, 266.0, 436.0, 492.0, 548.0, 610.0, 668.0, 708.0, 772.0),
    row_base=5.0,
    line_pitch=8.4,
)

# MTN MoMo's PDF statement: the publicly described layout as the fixtures
# generator draws it (Producer, fonts, column edges and pitch are the
# generator's); tune these values from genuine files when they come.
MTN_MOMO_PDF = FormatTemplate(
    name="MTN MoMo PDF",
    producers=("JasperReports",),
    versions=("1.3", "1.4"),
    header_comments=(b"%\x93\x8c\x8b\x9e ReportLab",),
    filters=frozenset({"ASCII85Decode", "FlateDecode"}),
    id_pair_equal=True,
    fonts=frozenset({"Helvetica", "Helvetica-Bold"}),
    column_edges=(30.0, 110.0, 176.0, 372.0, 450.0, 528.0, 600.0, 656.0, 712.0, 796.0),
    row_base=5.0,
    line_pitch=8.4,
)

# Keyed by the engine's Format value (``ParsedStatement.format``).
TEMPLATES: dict[str, FormatTemplate] = {
    "pdf_format_1": AIRTEL_PDF_1,
    "pdf_format_2": AIRTEL_PDF_2,
    "momo_pdf": MTN_MOMO_PDF,
}

# Tools that re-save or rewrite PDFs, as they show in what they write.
TOOL_MARKS: tuple[ToolMark, ...] = (
    ToolMark("qpdf/pikepdf", header_comment=b"%\xbf\xf7\xa2\xfe"),
    ToolMark("pypdf", header_comment=b"%\xe2\xe3\xcf\xd3"),
    ToolMark("MuPDF/PyMuPDF", header_comment=b"%\xc2\xb5\xc2\xb6"),
    ToolMark("pypdf", producer="pypdf"),
    ToolMark("PyPDF2", producer="PyPDF2"),
    ToolMark("pikepdf", producer="pikepdf"),
    ToolMark("qpdf", producer="qpdf"),
    ToolMark("MuPDF/PyMuPDF", producer="MuPDF"),
    ToolMark("PDFium", producer="PDFium"),
    ToolMark("Skia (Chrome print to PDF)", producer="Skia"),
    ToolMark("Samsung print", producer="Samsung"),
    ToolMark("Ghostscript", producer="GPL Ghostscript"),
    ToolMark("macOS Quartz", producer="macOS"),
    ToolMark("Microsoft Print to PDF", producer="Microsoft: Print To PDF"),
    ToolMark("iLovePDF", producer="iLovePDF"),
)

EDITOR_WORDS: tuple[str, ...] = (
    "microsoft", "word", "excel", "libreoffice", "openoffice", "wps office", "foxit", "nitro", "pdfelement", "sejda",
    "ilovepdf", "smallpdf", "pdf-xchange", "acrobat", "canva", "google docs",
)


def template_for(fmt: str) -> FormatTemplate | None:
    return TEMPLATES.get(fmt)


def tool_of(header_comment: bytes, producer: str) -> str:
    """The tool a file's header comment or Producer names, or ""."""
    for mark in TOOL_MARKS:
        if mark.header_comment and header_comment.startswith(mark.header_comment):
            return mark.tool
    lowered = producer.casefold()
    for mark in TOOL_MARKS:
        if mark.producer and mark.producer.casefold() in lowered:
            return mark.tool
    return ""
