"""A fraudster's toolkit, for the forensics tests: edits made to genuine
statement PDFs with the ordinary tools (pikepdf, pypdf, PyMuPDF).

Nothing here is committed as a file: each test builds its tampered PDF
from a genuine one in memory.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pikepdf
import pymupdf
import pypdf
import reportlab
from pypdf.generic import DecodedStreamObject, NameObject

# A TrueType font that ships with reportlab (the generator's dependency), so no system font is needed.
VERA = Path(reportlab.__file__).resolve().parent / "fonts" / "Vera.ttf"

# Format-1 cell text starts 2.5 pt right of the column edge (generator's PAD).
F1_X = {"Transaction ID": 32.5, "Transaction Amount": 488.5, "Balance": 676.5, "Fee": 626.5}

# edit(page index, txn id of the row or None, x, text) -> new text or None (unchanged)
Edit = Callable[[int, "str | None", float, str], "str | None"]


def money(value: Decimal) -> str:
    return f"{value:,}"


def _edited_ops(pdf: pikepdf.Pdf, page: pikepdf.Page, index: int, edit: Edit, font: tuple[str, Callable[[int, str | None, float, str], bool]] | None = None) -> list[pikepdf.ContentStreamInstruction]:
    ops = list(pikepdf.parse_content_stream(page))
    ids: dict[float, str] = {}
    x = y = 0.0
    for inst in ops:
        if str(inst.operator) == "Tm":
            x, y = float(inst.operands[4]), float(inst.operands[5])
        elif str(inst.operator) == "Tj" and abs(x - F1_X["Transaction ID"]) < 1:
            ids[round(y, 2)] = str(inst.operands[0])
    out: list[pikepdf.ContentStreamInstruction] = []
    for inst in ops:
        operands, operator = list(inst.operands), inst.operator
        if str(operator) == "Tm":
            x, y = float(operands[4]), float(operands[5])
        elif str(operator) == "Tj":
            row = ids.get(round(y, 2))
            text = str(operands[0])
            new = edit(index, row, x, text)
            if font is not None and font[1](index, row, x, text):
                out.append(pikepdf.ContentStreamInstruction([pikepdf.Name(font[0]), 7], pikepdf.Operator("Tf")))
            if new is not None:
                operands = [pikepdf.String(new)]
        out.append(pikepdf.ContentStreamInstruction(operands, operator))
    return out


def pikepdf_edit(data: bytes, edit: Edit, *, font: tuple[str, str, Callable[[int, str | None, float, str], bool]] | None = None) -> bytes:
    """Edit cell text in the content streams and save a full rewrite
    (pikepdf keeps the Info dictionary as it was: no ModDate)."""
    pdf = pikepdf.open(io.BytesIO(data))
    for index, page in enumerate(pdf.pages):
        swap = None
        if font is not None:
            name, base, where = font
            fonts = page.Resources.Font
            fonts[name] = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name("/" + base)))
            swap = (name, where)
        ops = _edited_ops(pdf, page, index, edit, swap)
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(ops))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pypdf_incremental_edit(data: bytes, edit: Edit) -> bytes:
    """The same edit appended as an incremental update (pypdf): the original
    bytes stay, a second xref section and %%EOF follow."""
    edited = pikepdf.open(io.BytesIO(data))
    streams = [pikepdf.unparse_content_stream(_edited_ops(edited, page, i, edit)) for i, page in enumerate(edited.pages)]
    writer = pypdf.PdfWriter(io.BytesIO(data), incremental=True)
    for page, content in zip(writer.pages, streams, strict=True):
        stream = DecodedStreamObject()
        stream.set_data(content)
        page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pypdf_rewrite(data: bytes) -> bytes:
    """A full rewrite with pypdf, the original metadata copied back."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.add_metadata({k: v for k, v in (reader.metadata or {}).items()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pikepdf_resave(data: bytes) -> bytes:
    out = io.BytesIO()
    pikepdf.open(io.BytesIO(data)).save(out)
    return out.getvalue()


def cover_up(data: bytes, page: int, x: float, y: float, width: float, text: str) -> bytes:
    """A white box over a cell and new text on it, as an extra content stream."""
    pdf = pikepdf.open(io.BytesIO(data))
    stream = (f"q 1 1 1 rg {x - 1:.2f} {y - 2:.2f} {width:.2f} 9 re f Q "
              f"BT /F1 7 Tf 1 0 0 1 {x:.2f} {y:.2f} Tm ({text}) Tj ET").encode()
    pdf.pages[page].contents_add(pdf.make_stream(stream), prepend=False)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def free_text(data: bytes, page: int, x: float, y: float, text: str) -> bytes:
    """New digits as a FreeText annotation over a cell (PyMuPDF)."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    p = doc[page]
    top = p.rect.height - y - 8
    annot = p.add_freetext_annot(pymupdf.Rect(x - 1, top, x + 60, top + 10), text, fontsize=7, fill_color=(1, 1, 1))
    annot.update()
    return doc.tobytes()


def splice_page(data: bytes, other: bytes, index: int) -> bytes:
    """Page ``index`` replaced by the same page of another statement (pikepdf)."""
    pdf = pikepdf.open(io.BytesIO(data))
    donor = pikepdf.open(io.BytesIO(other))
    pdf.pages[index] = donor.pages[index]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def print_through_pymupdf(data: bytes) -> bytes:
    """"Print to PDF" with PyMuPDF: every page drawn into a new document."""
    src = pymupdf.open(stream=data, filetype="pdf")
    out = pymupdf.open()
    for page in src:
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.show_pdf_page(new.rect, src, page.number)
    return out.tobytes()


def set_metadata(data: bytes, **info: str) -> bytes:
    pdf = pikepdf.open(io.BytesIO(data))
    for key, value in info.items():
        pdf.docinfo[pikepdf.Name("/" + key)] = value
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def embedded_font_digits(data: bytes, page: int, x: float, y: float, text: str) -> bytes:
    """Digits retyped in an embedded subset font (PyMuPDF with a TrueType file)."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    p = doc[page]
    p.draw_rect(pymupdf.Rect(x - 1, p.rect.height - y - 7, x + 60, p.rect.height - y + 2), color=None, fill=(1, 1, 1))
    p.insert_text((x, p.rect.height - y), text, fontsize=7, fontname="vera", fontfile=str(VERA))
    doc.subset_fonts()
    return doc.tobytes()
