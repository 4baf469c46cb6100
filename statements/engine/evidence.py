"""What the forensic signals read and what they return.

``PageFacts`` and ``FileFacts`` are gathered while the parser reads the PDF
(``pdffacts``: the same pypdfium2 document and pages, one pass); ``Reason``
is one signal's finding, with its weight in the risk score and where in
the file it points.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: a stable ``code``, a sentence for people, its ``weight``
    in the 0-100 score, and where it applies (1-based page and row of the
    file's table, a column name), when it points somewhere."""

    code: str
    message: str
    weight: int
    page: int | None = None
    row: int | None = None
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "weight": self.weight,
                "page": self.page, "row": self.row, "field": self.field}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(code=str(data.get("code", "")), message=str(data.get("message", "")), weight=int(data.get("weight") or 0),
                   page=data.get("page"), row=data.get("row"), field=str(data.get("field") or ""))


# A drawn piece of text or a filled shape: (x0, y0, x1, y1) in PDF points,
# ``z`` its position in the page's drawing order.
Box = tuple[float, float, float, float]


@dataclass(slots=True)
class TextRun:
    font: str  # base font name as the file names it ("Helvetica", "ABCDEF+Arial")
    embedded: bool
    box: Box
    z: int


@dataclass(slots=True)
class Fill:
    box: Box
    z: int
    rgb: tuple[int, int, int]


@dataclass(slots=True)
class Annotation:
    subtype: str  # "FreeText", "Square", "Link", ...
    box: Box


@dataclass(slots=True)
class PageFacts:
    """One page as drawn: its rules, text runs with their fonts, filled
    shapes and annotations; ``table`` is filled in by the table reader."""

    page: int  # 1-based
    width: float
    height: float
    rules: list[float] = field(default_factory=list)
    verticals: set[float] = field(default_factory=set)  # x of vertical rules, rounded to 0.5 pt
    texts: list[TextRun] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    # From the table reader: the columns (name, left edge), the header
    # row's baseline, the rows begun on this page and the file-wide number
    # of the first of them.
    columns: list[tuple[str, float]] = field(default_factory=list)
    header_y: float | None = None
    rows: int = 0
    first_row: int = 1


@dataclass(slots=True)
class FileFacts:
    """The file's structure, from its bytes and PDFium's view of the document."""

    size: int
    version: str  # "1.4" from the %PDF- header
    header_comment: bytes  # the binary comment line after the header
    eof_count: int  # %%EOF markers
    startxref_count: int
    linearized: bool
    xref_streams: int  # /Type /XRef objects (cross-reference streams)
    object_streams: int  # /Type /ObjStm
    id_pair: tuple[str, str] | None  # the trailer /ID, hex
    object_numbers: list[int]  # "N 0 obj" found in the bytes, in file order
    filters: dict[str, int]  # stream filter name -> count


@dataclass(slots=True)
class Evidence:
    """Everything the signals read about one PDF."""

    file: FileFacts
    pages: list[PageFacts]
