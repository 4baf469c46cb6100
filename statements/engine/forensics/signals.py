"""The forensic signals, each a pure function over what was read from the
file (``Evidence``, metadata, parsed rows) and the format's template,
returning its reasons (an empty list when the file does not show it).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from statements.engine.evidence import Box, FileFacts, PageFacts, Reason
from statements.engine.forensics import codes as c
from statements.engine.forensics.templates import EDITOR_WORDS, FormatTemplate, tool_of
from statements.engine.types import PdfMetadata, RawTxn

MAX_LISTED = 5  # reasons of one code that point at a place; the rest are counted in the last
# Bounds on hostile pages (thousands of shapes or of runs stacked in one
# place): filled shapes checked per page, neighbours compared per text run.
MAX_FILLS = 400
MAX_NEIGHBOURS = 40
SUBSET = re.compile(r"^[A-Z]{6}\+")
MONEY_TOLERANCE = Decimal("1")


def _reason(code: str, message: str, page: int | None = None, row: int | None = None, field: str = "") -> Reason:
    return Reason(code=code, message=message, weight=c.WEIGHTS[code], page=page, row=row, field=field)


def _cap(reasons: list[Reason]) -> list[Reason]:
    """At most ``MAX_LISTED`` places for one code; the last says how many more."""
    if len(reasons) <= MAX_LISTED:
        return reasons
    last = reasons[MAX_LISTED - 1]
    more = len(reasons) - MAX_LISTED
    kept = reasons[: MAX_LISTED - 1]
    kept.append(Reason(last.code, f"{last.message} (and {more} more place(s) like it)", last.weight, last.page, last.row, last.field))
    return kept


# --------------------------------------------------------------------------- where a box sits


def data_rules(page: PageFacts) -> list[float]:
    """The page's horizontal rules below its table header, top first (the first is the header's bottom)."""
    if page.header_y is None:
        return []
    header_y = page.header_y
    return sorted({round(y, 1) for y in page.rules if y < header_y}, reverse=True)


def locate(page: PageFacts, box: Box, rules: list[float] | None = None) -> tuple[int | None, str]:
    """(file-wide row number, column) of a box on the page's table, or (None, "") outside it."""
    ys = data_rules(page) if rules is None else rules
    cy = (box[1] + box[3]) / 2
    cx = (box[0] + box[2]) / 2
    above = sum(1 for y in ys if y > cy)
    row = page.first_row + above - 1 if 1 <= above < len(ys) else None
    column = ""
    if page.columns and row is not None:
        names = [name for name, _ in page.columns]
        bounds = [x for _, x in page.columns]
        column = names[max(bisect_right(bounds, cx) - 1, 0)]
    return row, column


def _where(page: PageFacts, box: Box) -> tuple[int | None, str, str]:
    row, column = locate(page, box)
    text = f"page {page.page}" + (f", row {row}" if row is not None else "") + (f" ({column})" if column else "")
    return row, column, text


# --------------------------------------------------------------------------- revisions


def revisions(file: FileFacts) -> list[Reason]:
    """Incremental updates: more than one %%EOF/startxref, told apart from a
    linearised file (whose first-page cross-reference adds one of each)."""
    saves = max(file.eof_count, file.startxref_count) - (1 if file.linearized else 0)
    duplicated = len(file.object_numbers) - len(set(file.object_numbers))
    if saves > 1:
        extra = f"; {duplicated} object(s) redefined by the update(s)" if duplicated else ""
        return [_reason(c.REVISION_INCREMENTAL,
                        f"the file was saved {saves} times: {saves - 1} incremental update(s) appended after the original "
                        f"(another cross-reference section and %%EOF){extra}")]
    return []


# --------------------------------------------------------------------------- structure


def structure(file: FileFacts, template: FormatTemplate, producer: str) -> list[Reason]:
    """PDF version, writer's header comment, /ID, stream filters and object
    numbering against the format's known shape; one reason naming the tool
    that re-saved the file when it shows."""
    found: list[str] = []
    if template.versions and file.version not in template.versions:
        found.append(f"PDF version {file.version or '?'} (genuine: {', '.join(template.versions)})")
    if template.header_comments and not any(file.header_comment.startswith(h) for h in template.header_comments):
        found.append("another PDF writer's header")
    if template.id_pair_equal is not None:
        if file.id_pair is None:
            found.append("no /ID in the trailer")
        elif template.id_pair_equal and file.id_pair[0] != file.id_pair[1]:
            found.append("the /ID's second half changed since the file was first written")
    if template.filters:
        odd = sorted(set(file.filters) - template.filters)
        if odd:
            found.append(f"stream filters {', '.join(odd)}")
    if template.contiguous_objects:
        if file.object_streams or file.xref_streams:
            found.append("objects packed in object streams")
        numbers = set(file.object_numbers)
        if numbers and not file.object_streams:
            missing = len(set(range(1, max(numbers) + 1)) - numbers)
            if missing:
                found.append(f"{missing} object number(s) missing (gaps)")
    if not found:
        return []
    tool = tool_of(file.header_comment, producer)
    detail = "; ".join(found)
    if tool:
        return [_reason(c.RESAVED, f"re-saved by {tool}: {detail}")]
    return [_reason(c.STRUCTURE, f"the file's structure is not {template.name}'s: {detail}")]


# --------------------------------------------------------------------------- fonts


def fonts(pages: Sequence[PageFacts], template: FormatTemplate) -> list[Reason]:
    """Each text run's font against the format's fonts; an embedded subset
    font (``ABCDEF+Name``) is a font someone else's software added."""
    if not template.fonts:
        return []
    odd: list[Reason] = []
    subset: list[Reason] = []
    allowed = ", ".join(sorted(template.fonts))
    for page in pages:
        rules = data_rules(page)
        for run in page.texts:
            if run.font in template.fonts:
                continue
            row, column = locate(page, run.box, rules)
            place = f"page {page.page}" + (f", row {row}" if row is not None else "") + (f" ({column})" if column else "")
            if SUBSET.match(run.font):
                subset.append(_reason(c.FONT_SUBSET, f"{place}: text in an embedded subset font {run.font} (the format uses {allowed})",
                                      page.page, row, column))
            else:
                odd.append(_reason(c.FONT_UNEXPECTED, f"{place}: text in {run.font or 'an unnamed font'}, not one of the format's fonts ({allowed})",
                                   page.page, row, column))
    return _cap(odd) + _cap(subset)


# --------------------------------------------------------------------------- annotations and overlaps


def annotation_overlays(pages: Sequence[PageFacts], template: FormatTemplate) -> list[Reason]:
    """Annotations other than those genuine files carry (links): text or
    boxes drawn on top of the page, which the text layer does not show."""
    out = []
    for page in pages:
        for annot in page.annotations:
            if annot.subtype in template.annotations:
                continue
            row, column, place = _where(page, annot.box)
            out.append(_reason(c.ANNOTATION, f"{place}: a {annot.subtype} annotation lies over the statement", page.page, row, column))
    return _cap(out)


def _inside(inner: Box, outer: Box, slack: float = 0.5) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] - slack <= cx <= outer[2] + slack and outer[1] - slack <= cy <= outer[3] + slack


def covered_text(pages: Sequence[PageFacts]) -> list[Reason]:
    """Text drawn before a filled shape that covers it: hidden under a box."""
    out = []
    for page in pages:
        if not page.fills:
            continue
        # Text runs by the height of their centre: each box looks only at the runs level with it.
        runs = sorted(page.texts, key=lambda t: (t.box[1] + t.box[3]) / 2)
        centres = [(t.box[1] + t.box[3]) / 2 for t in runs]
        for fill in page.fills[:MAX_FILLS]:
            low, high = bisect_left(centres, fill.box[1] - 0.5), bisect_right(centres, fill.box[3] + 0.5)
            for run in runs[low:high]:
                if run.z < fill.z and _inside(run.box, fill.box):
                    row, column, place = _where(page, run.box)
                    out.append(_reason(c.COVERED_TEXT, f"{place}: text hidden under a filled box drawn over it", page.page, row, column))
                    break
    return _cap(out)


def overlapping_text(pages: Sequence[PageFacts], min_share: float = 0.3) -> list[Reason]:
    """Two pieces of text in one place (new digits printed over old ones)."""
    out = []
    for page in pages:
        runs = sorted(page.texts, key=lambda t: (t.box[1], t.box[0]))
        lines: dict[int, list[Box]] = {}
        for run in runs:
            lines.setdefault(int(run.box[1] // 2), []).append(run.box)
        flagged: set[int] = set()
        for key, boxes in lines.items():
            candidates = boxes + lines.get(key + 1, [])
            candidates.sort(key=lambda b: b[0])
            for i, a in enumerate(candidates):
                for b in candidates[i + 1 : i + 1 + MAX_NEIGHBOURS]:
                    if b[0] >= a[2]:
                        break
                    w = min(a[2], b[2]) - max(a[0], b[0])
                    h = min(a[3], b[3]) - max(a[1], b[1])
                    if w <= 0 or h <= 0:
                        continue
                    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])) or 1.0
                    if w * h / smaller >= min_share:
                        row, column, place = _where(page, a)
                        if row is not None and row in flagged:
                            continue
                        flagged.add(row if row is not None else -1)
                        out.append(_reason(c.OVERLAPPING_TEXT, f"{place}: two pieces of text printed in one place", page.page, row, column))
    return _cap(out)


# --------------------------------------------------------------------------- layout


def layout(pages: Sequence[PageFacts], template: FormatTemplate, bottom_limit: float = 40.0) -> list[Reason]:
    """Column edges and row pitch against the template; a table page that
    is not the last but ends early while the next page's first row would
    have fitted (a row removed and the table closed up)."""
    out: list[Reason] = []
    table_pages = [p for p in pages if p.header_y is not None]
    tol = template.column_tolerance
    if template.column_edges:
        for page in table_pages:
            odd = sorted(x for x in page.verticals if not any(abs(x - e) <= tol for e in template.column_edges))
            if odd:
                out.append(_reason(c.LAYOUT_COLUMNS, f"page {page.page}: the table has column edges at x={', '.join(f'{x:.1f}' for x in odd[:6])}, "
                                   f"not where {template.name} draws them", page.page))
    heights: dict[int, list[float]] = {}
    if template.line_pitch:
        pitch_reasons = []
        for page in table_pages:
            ys = data_rules(page)
            heights[page.page] = [a - b for a, b in zip(ys, ys[1:], strict=False)]
            for k, h in enumerate(heights[page.page], start=0):
                lines = (h - template.row_base) / template.line_pitch
                if abs(lines - round(lines)) * template.line_pitch > template.pitch_tolerance or round(lines) < 1:
                    row = page.first_row + k
                    pitch_reasons.append(_reason(c.LAYOUT_ROW_PITCH, f"page {page.page}, row {row}: a row {h:.1f} pt high, not a whole number "
                                                 f"of {template.line_pitch} pt lines", page.page, row))
        out.extend(_cap(pitch_reasons))
    else:
        for page in table_pages:
            ys = data_rules(page)
            heights[page.page] = [a - b for a, b in zip(ys, ys[1:], strict=False)]
    for i, page in enumerate(table_pages[:-1]):
        nxt = table_pages[i + 1]
        ys, next_heights = data_rules(page), heights.get(nxt.page) or []
        if not ys or not next_heights or page.rows == 0:
            continue
        room = ys[-1] - bottom_limit
        others = [p.rows for p in table_pages[:-1] if p is not page]
        if room >= next_heights[0] + 0.5 and (not others or page.rows < max(others)):
            out.append(_reason(c.LAYOUT_SHORT_PAGE, f"page {page.page}: the table stops with {room:.0f} pt to spare and {page.rows} row(s), though the "
                               f"next row ({next_heights[0]:.0f} pt) would have fitted: a row removed and the table closed up?", page.page))
    return out


# --------------------------------------------------------------------------- summary against the table


def summary_vs_table(stated: dict[str, Decimal], rows: Sequence[RawTxn], opening: Decimal | None, closing: Decimal | None,
                     counts: Callable[[RawTxn], bool]) -> list[Reason]:
    """The page-1 summary (opening and closing balances, total credit and
    debit) against the table: the opening worked back from the first row,
    the last stated balance, and the sums of the rows that count."""
    if not stated:
        return []
    credit = debit = Decimal(0)
    if "Total Credit" in stated or "Total Debit" in stated:
        for t in rows:
            amount = t.amount
            if amount and counts(t):
                if amount > 0:
                    credit += amount
                else:
                    debit -= amount
    table = {"Opening Balance": opening, "Closing Balance": closing, "Total Credit": credit, "Total Debit": debit}
    out = []
    for label, value in table.items():
        said = stated.get(label)
        if said is None or value is None:
            continue
        if abs(said - value) > MONEY_TOLERANCE:
            out.append(_reason(c.SUMMARY_MISMATCH, f"the summary's {label} is {said:,} but the table gives {value:,}", 1, None, label))
    return out


# --------------------------------------------------------------------------- dates


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def dates(meta: PdfMetadata, first: datetime | None, last: datetime | None, template: FormatTemplate | None) -> list[Reason]:
    """Creation and modification dates against each other and the statement's period."""
    out = []
    if meta.created_raw and meta.created is None:
        out.append(_reason(c.DATE_MALFORMED, f"the creation date {meta.created_raw!r} is not a valid PDF date"))
    if meta.modified_raw and meta.modified is None:
        out.append(_reason(c.DATE_MALFORMED, f"the modification date {meta.modified_raw!r} is not a valid PDF date"))
    created, modified = meta.created, meta.modified
    if created and modified and _naive(modified) < _naive(created) - timedelta(minutes=1):
        out.append(_reason(c.DATE_ORDER, f"modified {modified:%Y-%m-%d %H:%M} before it was created {created:%Y-%m-%d %H:%M}"))
    if created and last and _naive(created) < last - timedelta(days=1):
        out.append(_reason(c.DATE_BEFORE_PERIOD, f"created {created:%Y-%m-%d}, before its own last transaction ({last:%Y-%m-%d})"))
    if template is not None:
        if created and last and (_naive(created) - last).days > template.max_created_after_period_days:
            out.append(_reason(c.DATE_LATE, f"created {created:%Y-%m-%d}, {(_naive(created) - last).days} days after its last transaction"))
        if template.has_mod_date is False and (modified or meta.modified_raw):
            out.append(_reason(c.DATE_MODIFIED, f"modified ({meta.modified_raw}) after it was created: genuine {template.name} files carry no modification date"))
    return out


# --------------------------------------------------------------------------- producer


def producer(meta: PdfMetadata, template: FormatTemplate, header_comment: bytes = b"") -> list[Reason]:
    """An unknown Producer (or Creator) for a known format is a signal, not silence."""
    name = meta.producer.strip()
    if not name:
        return [_reason(c.PRODUCER_MISSING, f"no Producer in the file's metadata ({template.name} files name {', '.join(template.producers)})")]
    lowered = name.casefold()
    if any(lowered.startswith(p.casefold()) for p in template.producers):
        if template.creators and meta.creator.strip() not in template.creators:
            return [_reason(c.PRODUCER_UNKNOWN, f"Creator {meta.creator!r} is not {template.name}'s ({', '.join(template.creators)})")]
        return []
    if any(word in lowered for word in EDITOR_WORDS):
        return [_reason(c.PRODUCER_EDITOR, f"produced by an editor ({name!r}), not {template.name}'s {', '.join(template.producers)}")]
    tool = tool_of(header_comment, name)
    said = f"re-saved or printed by {tool} ({name!r})" if tool else f"produced by {name!r}"
    return [_reason(c.PRODUCER_UNKNOWN, f"{said}, not {template.name}'s {', '.join(template.producers)}")]


# --------------------------------------------------------------------------- account


def account(file_account: str | None, request_account: str | None) -> list[Reason]:
    """The file's account against the statement request's (customer details)."""
    mine = "".join(ch for ch in (file_account or "") if ch.isdigit())[-9:]
    theirs = "".join(ch for ch in (request_account or "") if ch.isdigit())[-9:]
    if mine and theirs and mine != theirs:
        return [_reason(c.ACCOUNT_MISMATCH, f"the statement is for account …{mine[-3:]}, but its statement request is for account …{theirs[-3:]}",
                        1, None, "Mobile Number")]
    return []
