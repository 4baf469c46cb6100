"""Statement forensics: each signal as a pure function, the genuine corpus
scoring clean, and a tampered corpus (built here from genuine files with
the tools a fraudster uses) caught with the right reason."""
from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from fixtures.statements import generate as gen
from statements.engine import check_bytes
from statements.engine.evidence import Annotation, Fill, PageFacts, Reason, TextRun
from statements.engine.forensics import codes, signals
from statements.engine.forensics.score import risk_score
from statements.engine.forensics.templates import AIRTEL_PDF_1, TEMPLATES, tool_of
from statements.engine.pdffacts import file_facts
from statements.engine.pdftext import group_lines, page_words
from statements.engine.types import PdfMetadata, RawTxn
from statements.engine.vocabulary import StatementStatus
from statements.tests import tamper

GENUINE = Path(gen.__file__).resolve().parent / "genuine"
F1 = (GENUINE / "f1_plain.pdf").read_bytes()
F2 = (GENUINE / "f2_plain.pdf").read_bytes()


def codes_of(data: bytes, **kw) -> tuple[int, set[str], list[Reason]]:
    result = check_bytes(data, **kw)
    reasons = result.summary.risk_reasons
    return result.summary.risk_score, {r.code for r in reasons}, reasons


# --------------------------------------------------------------------------- genuine stays clean


@pytest.mark.parametrize("path", sorted(GENUINE.glob("*.pdf")), ids=lambda p: p.name)
def test_genuine_corpus_scores_below_the_flag_threshold(path):
    result = check_bytes(path.read_bytes(), password="s3cret" if "encrypted" in path.name else None)
    assert result.summary.risk_score < codes.FLAG_THRESHOLD, result.summary.risk_reasons
    assert result.summary.risk_score == 0 and result.status == StatementStatus.VERIFIED


def test_genuine_corpus_is_what_the_generator_writes():
    # The committed corpus is the generator's output, every layout present.
    corpus = gen.genuine_corpus()
    assert sorted(corpus) == sorted(p.name for p in GENUINE.glob("*.pdf"))


@pytest.mark.parametrize("resave", [tamper.pikepdf_resave, tamper.pypdf_rewrite], ids=["pikepdf", "pypdf"])
def test_genuine_resaved_unchanged_gets_a_low_score_naming_the_tool(resave):
    score, found, reasons = codes_of(resave(F1))
    assert 0 < score < codes.FLAG_THRESHOLD
    assert codes.RESAVED in found
    assert any(r.message.startswith("re-saved by") for r in reasons)


# --------------------------------------------------------------------------- the tampered corpus


def _rows(data: bytes):
    return check_bytes(data).parsed.transactions


def smart_edit(data: bytes, *, summary_too: bool = True):
    """One credit raised tenfold, every later balance moved to match, and
    (``summary_too``) the page-1 closing balance and total credit as well."""
    rows = _rows(data)
    k = next(i for i, t in enumerate(rows) if i > 5 and t.description.startswith("Received from") and t.page == 1)
    delta = rows[k].amount * 9
    balances = {t.txn_id: tamper.money(t.balance + delta) for t in rows[k:]}
    amount = {rows[k].txn_id: tamper.money(rows[k].amount + delta)}
    header = check_bytes(data).parsed.summary
    summary = {
        f"Closing Balance: UGX {tamper.money(header['Closing Balance'])}": f"Closing Balance: UGX {tamper.money(header['Closing Balance'] + delta)}",
        f"Total Credit: UGX {tamper.money(header['Total Credit'])}": f"Total Credit: UGX {tamper.money(header['Total Credit'] + delta)}",
    } if summary_too else {}

    def edit(page, row, x, text):
        if row in amount and abs(x - tamper.F1_X["Transaction Amount"]) < 1:
            return amount[row]
        if row in balances and abs(x - tamper.F1_X["Balance"]) < 1:
            return balances[row]
        return summary.get(text)

    return edit, rows[k]


def test_smart_edit_in_an_incremental_update_is_caught():
    edit, row = smart_edit(F1)
    data = tamper.pypdf_incremental_edit(F1, edit)
    result = check_bytes(data)
    assert result.summary.balance_match == "Success"  # the edit is consistent ...
    assert any(t.txn_id == row.txn_id and t.amount == row.amount * 10 for t in result.parsed.transactions)
    found = {r.code for r in result.summary.risk_reasons}
    assert codes.REVISION_INCREMENTAL in found  # ... but the file says it was saved twice
    assert result.summary.risk_score >= codes.FLAG_THRESHOLD and result.status == StatementStatus.FLAGGED


def test_smart_edit_in_a_full_rewrite_shows_the_rewriting_tool():
    edit, _ = smart_edit(F1)
    score, found, reasons = codes_of(tamper.pikepdf_edit(F1, edit))
    assert codes.RESAVED in found
    assert any("qpdf/pikepdf" in r.message for r in reasons if r.code == codes.RESAVED)


def test_summary_left_at_old_values_while_the_table_was_edited():
    edit, _ = smart_edit(F1, summary_too=False)
    score, found, reasons = codes_of(tamper.pikepdf_edit(F1, edit))
    mismatch = [r for r in reasons if r.code == codes.SUMMARY_MISMATCH]
    assert {r.field for r in mismatch} == {"Closing Balance", "Total Credit"}
    assert score >= codes.FLAG_THRESHOLD


def _cell(data: bytes, column: str, page_no: int = 1):
    """(page index, x, baseline y, text) of the first data row's cell in ``column`` on a page."""
    doc = pdfium.PdfDocument(data)
    lines = group_lines(page_words(doc, page_no - 1))
    header = next(i for i, line in enumerate(lines) if "Balance" in line.text and "Fee" in line.text)
    line = lines[header + 1]
    x = tamper.F1_X[column]
    word = next(w for w in line.words if abs(w.x0 - x) < 1.5)
    return page_no - 1, word.x0, line.y, word.text


def test_cover_up_box_with_new_digits_is_caught():
    page, x, y, text = _cell(F1, "Balance")
    score, found, reasons = codes_of(tamper.cover_up(F1, page, x, y, 60, "9,999,999"))
    assert codes.COVERED_TEXT in found
    covered = next(r for r in reasons if r.code == codes.COVERED_TEXT)
    assert covered.page == 1 and covered.row == 1 and covered.field == "Balance"
    assert codes.OVERLAPPING_TEXT in found
    assert score >= codes.FLAG_THRESHOLD


def test_cover_up_as_free_text_annotation_is_caught():
    page, x, y, text = _cell(F1, "Balance")
    score, found, reasons = codes_of(tamper.free_text(F1, page, x, y, "9,999,999"))
    annotation = next(r for r in reasons if r.code == codes.ANNOTATION)
    assert "FreeText" in annotation.message and annotation.page == 1 and annotation.row == 1
    assert score >= codes.FLAG_THRESHOLD


def test_digits_retyped_in_another_font_are_caught():
    edit, row = smart_edit(F1)
    target = row.txn_id
    data = tamper.pikepdf_edit(F1, edit, font=("/FT", "Times-Roman", lambda page, r, x, text: r == target and abs(x - tamper.F1_X["Transaction Amount"]) < 1))
    score, found, reasons = codes_of(data)
    font = next(r for r in reasons if r.code == codes.FONT_UNEXPECTED)
    assert "Times-Roman" in font.message and font.row == row.row_no and font.field == "Transaction Amount"
    assert score >= codes.FLAG_THRESHOLD


def test_digits_in_an_embedded_subset_font_are_caught():
    page, x, y, text = _cell(F1, "Balance")
    score, found, reasons = codes_of(tamper.embedded_font_digits(F1, page, x, y, text))
    assert codes.FONT_SUBSET in found
    assert score >= codes.FLAG_THRESHOLD


def test_deleted_row_leaves_a_short_table_on_a_page_that_is_not_the_last():
    rng = random.Random(601)
    st = gen.make_airtel_ledger(rng, 70, start=datetime(2025, 9, 1, 7), opening=Decimal(254_000), acc="706015801", fmt=1)
    rows = _rows(F1)
    breaks = [i for i in range(1, len(rows)) if rows[i].page != rows[i - 1].page]
    # a wrapped (two-line) row on page 1, so the next page's first row would fit in its place
    gone = next(i for i, t in enumerate(st.txns[: breaks[0]]) if t.direction == "Debit" and t.fee == 0 and len(t.description) > 80)
    removed = st.txns.pop(gone)
    effect = -removed.amount - removed.fee
    for t in st.txns[gone:]:
        t.balance -= effect  # the balances after it fixed
    info = {**gen.F1_META, "CreationDate": gen.pdf_date(datetime(2025, 10, 1, 9, 15))}
    data = gen.write_pdf_table(st, fmt=1, info=info, break_before=frozenset(b - 1 for b in breaks))
    result = check_bytes(data)
    assert result.summary.balance_match == "Success"
    short = [r for r in result.summary.risk_reasons if r.code == codes.LAYOUT_SHORT_PAGE]
    assert short and short[0].page == 1
    assert result.summary.risk_score >= codes.FLAG_THRESHOLD


def test_page_spliced_in_from_another_statement_is_caught():
    rng = random.Random(777)
    other = gen.make_airtel_ledger(rng, 70, start=datetime(2025, 9, 1, 7), opening=Decimal(90_000), acc="706999999", fmt=1)
    donor = gen.write_pdf_table(other, fmt=1, info={**gen.F1_META, "CreationDate": gen.pdf_date(datetime(2025, 10, 1, 9, 15))})
    score, found, reasons = codes_of(tamper.splice_page(F1, donor, 1))
    assert codes.BALANCE_MISMATCH in found
    broken = next(r for r in reasons if r.code == codes.BALANCE_MISMATCH)
    assert broken.page == 2
    assert codes.RESAVED in found
    assert score >= codes.FLAG_THRESHOLD


def test_printed_to_pdf_through_pymupdf_names_the_tool_and_the_missing_producer():
    score, found, reasons = codes_of(tamper.print_through_pymupdf(F1))
    assert codes.PRODUCER_MISSING in found
    assert any(r.code == codes.RESAVED and "MuPDF" in r.message for r in reasons)


def test_unknown_producer_for_a_known_format_is_a_signal():
    data = tamper.set_metadata(F1, Producer="Skia/PDF m120", ModDate="D:20251003180200+03'00'")
    score, found, reasons = codes_of(data)
    assert codes.PRODUCER_UNKNOWN in found and codes.DATE_MODIFIED in found
    assert any("Skia" in r.message for r in reasons if r.code == codes.PRODUCER_UNKNOWN)
    # a signal for review, not a flag: printed unchanged, a genuine file would look the same
    assert codes.REVIEW_THRESHOLD <= score < codes.FLAG_THRESHOLD
    # a format-1 file without the Qt signature does not fall through to NO_ISSUES
    assert check_bytes(data).summary.tampering_level != "NO_ISSUES"


def test_creation_date_before_the_last_transaction_is_caught():
    data = tamper.set_metadata(F1, CreationDate="D:20250902090000+03'00'")
    score, found, reasons = codes_of(data)
    assert codes.DATE_BEFORE_PERIOD in found


# --------------------------------------------------------------------------- the signals as functions


def _page(**kw) -> PageFacts:
    page = PageFacts(page=1, width=842, height=595, rules=[500.0, 480.0, 466.6, 453.2, 439.8], header_y=490.0,
                     columns=[("Transaction ID", 30.0), ("Balance", 674.0)], rows=3, first_row=1)
    for key, value in kw.items():
        setattr(page, key, value)
    return page


def test_locate_maps_a_box_to_its_row_and_column():
    page = _page()
    assert signals.locate(page, (680, 470, 700, 476)) == (1, "Balance")
    assert signals.locate(page, (40, 443, 60, 449)) == (3, "Transaction ID")
    assert signals.locate(page, (40, 520, 60, 526)) == (None, "")


def test_revisions_tells_incremental_updates_from_linearisation():
    facts = file_facts(F1)
    assert signals.revisions(facts) == []
    facts.eof_count = facts.startxref_count = 2
    facts.linearized = True
    assert signals.revisions(facts) == []
    facts.linearized = False
    assert [r.code for r in signals.revisions(facts)] == [codes.REVISION_INCREMENTAL]


def test_structure_names_the_rewriting_tool():
    facts = file_facts(F1)
    assert signals.structure(facts, AIRTEL_PDF_1, "Qt 4.8.7") == []
    facts.header_comment = b"%\xbf\xf7\xa2\xfe"
    (reason,) = signals.structure(facts, AIRTEL_PDF_1, "Qt 4.8.7")
    assert reason.code == codes.RESAVED and "qpdf/pikepdf" in reason.message
    facts.header_comment = b"%something else"
    assert [r.code for r in signals.structure(facts, AIRTEL_PDF_1, "Qt 4.8.7")] == [codes.STRUCTURE]


def test_fonts_annotations_covered_and_overlapping_text():
    page = _page(texts=[TextRun("Helvetica", False, (680, 470, 700, 476), 1), TextRun("Times-Roman", False, (680, 456, 700, 462), 2)])
    (font,) = signals.fonts([page], AIRTEL_PDF_1)
    assert (font.code, font.row, font.field) == (codes.FONT_UNEXPECTED, 2, "Balance")
    page.texts.append(TextRun("ABCDEF+Arial", True, (40, 443, 60, 449), 3))
    assert {r.code for r in signals.fonts([page], AIRTEL_PDF_1)} == {codes.FONT_UNEXPECTED, codes.FONT_SUBSET}
    page.annotations = [Annotation("Link", (0, 0, 10, 10)), Annotation("FreeText", (678, 468, 720, 478))]
    (annot,) = signals.annotation_overlays([page], AIRTEL_PDF_1)
    assert annot.row == 1 and "FreeText" in annot.message
    page.fills = [Fill((675, 467, 740, 479), 5, (255, 255, 255))]
    (covered,) = signals.covered_text([page])
    assert covered.row == 1
    page.fills = [Fill((675, 467, 740, 479), 0, (230, 230, 230))]  # a shaded cell under its text is fine
    assert signals.covered_text([page]) == []
    assert signals.overlapping_text([page]) == []
    page.texts.append(TextRun("Helvetica", False, (681, 470, 705, 476), 6))
    assert [r.row for r in signals.overlapping_text([page])] == [1]


def test_hostile_pages_stay_bounded():
    # thousands of runs stacked in one place and thousands of boxes: a handful of reasons, no quadratic walk
    runs = [TextRun("Helvetica", False, (680.0, 470.0, 700.0, 476.0), i) for i in range(5000)]
    fills = [Fill((675.0, 467.0, 740.0, 479.0), 10_000 + i, (255, 255, 255)) for i in range(5000)]
    page = _page(texts=runs, fills=fills)
    assert len(signals.overlapping_text([page])) == 1
    assert len(signals.covered_text([page])) == signals.MAX_LISTED


def test_layout_row_pitch_columns_and_short_page():
    page = _page(verticals={30.0, 102.0, 184.0, 434.0, 486.0, 566.0, 624.0, 674.0, 754.0})
    assert signals.layout([page], AIRTEL_PDF_1) == []
    page.verticals = page.verticals | {300.0}
    assert [r.code for r in signals.layout([page], AIRTEL_PDF_1)] == [codes.LAYOUT_COLUMNS]
    odd = _page(rules=[500.0, 480.0, 462.0])
    assert [r.code for r in signals.layout([odd], AIRTEL_PDF_1)] == [codes.LAYOUT_ROW_PITCH]
    first, last = _page(), _page(page=2, first_row=4, rules=[580.0, 560.0, 546.6])
    last.header_y = 570.0
    assert [r.code for r in signals.layout([first, last], AIRTEL_PDF_1)] == [codes.LAYOUT_SHORT_PAGE]
    first.rules = [500.0, 480.0, 466.6, 453.2, 50.0]
    assert signals.layout([first, last], AIRTEL_PDF_1) == [] or all(r.code != codes.LAYOUT_SHORT_PAGE for r in signals.layout([first, last], AIRTEL_PDF_1))


def _txn(amount: str, status: str = "") -> RawTxn:
    return RawTxn(row_no=1, txn_id="1", txn_date=datetime(2025, 9, 1), amount=Decimal(amount), fee=Decimal(0), balance=Decimal(0), status=status)


def test_summary_against_table():
    rows = [_txn("100"), _txn("-40"), _txn("500", "FAILED")]
    counts = lambda t: t.status != "FAILED"  # noqa: E731
    stated = {"Opening Balance": Decimal(10), "Closing Balance": Decimal(70), "Total Credit": Decimal(100), "Total Debit": Decimal(40)}
    assert signals.summary_vs_table(stated, rows, Decimal(10), Decimal(70), counts) == []
    stated["Total Credit"] = Decimal(1000)
    (reason,) = signals.summary_vs_table(stated, rows, Decimal(10), Decimal(70), counts)
    assert reason.field == "Total Credit" and reason.page == 1


def test_dates_and_producer_and_account():
    meta = PdfMetadata(producer="Qt 4.8.7", title="PDF Template", created=datetime(2025, 10, 1), created_raw="D:20251001")
    assert signals.dates(meta, datetime(2025, 9, 1), datetime(2025, 9, 30), AIRTEL_PDF_1) == []
    meta.modified, meta.modified_raw = datetime(2025, 9, 1), "D:20250901"
    assert {r.code for r in signals.dates(meta, datetime(2025, 9, 1), datetime(2025, 9, 30), AIRTEL_PDF_1)} == {codes.DATE_ORDER, codes.DATE_MODIFIED}
    meta2 = PdfMetadata(created_raw="D:2025-13-45", created=None)
    assert [r.code for r in signals.dates(meta2, None, None, None)] == [codes.DATE_MALFORMED]
    assert signals.producer(meta, AIRTEL_PDF_1) == []
    assert [r.code for r in signals.producer(PdfMetadata(producer="Microsoft Word"), AIRTEL_PDF_1)] == [codes.PRODUCER_EDITOR]
    assert [r.code for r in signals.producer(PdfMetadata(producer="Skia/PDF"), AIRTEL_PDF_1)] == [codes.PRODUCER_UNKNOWN]
    assert [r.code for r in signals.producer(PdfMetadata(), AIRTEL_PDF_1)] == [codes.PRODUCER_MISSING]
    assert signals.account("706015809", "256706015809") == []
    assert [r.code for r in signals.account("706015809", "0701111111")] == [codes.ACCOUNT_MISMATCH]
    assert tool_of(b"", "pypdf") == "pypdf"


def test_score_adds_the_heaviest_reason_of_each_code_and_caps_at_100():
    r = lambda code, w: Reason(code, "", w)  # noqa: E731
    assert risk_score([r("a", 10), r("a", 30), r("b", 5)]) == 35
    assert risk_score([r("a", 70), r("b", 60)]) == 100
    # one cause, one count: a re-save's fingerprint, unknown producer and ModDate
    assert risk_score([r(codes.RESAVED, 15), r(codes.PRODUCER_UNKNOWN, 25), r(codes.DATE_MODIFIED, 30)]) == 30
    assert codes.band(0)[1] == StatementStatus.VERIFIED and codes.band(codes.FLAG_THRESHOLD)[1] == StatementStatus.FLAGGED


def test_every_template_is_keyed_by_a_pdf_format():
    assert set(TEMPLATES) == {"pdf_format_1", "pdf_format_2", "momo_pdf"}  # Airtel 1 and 2, MTN MoMo (issue 18)
    assert all(t.fonts and t.producers for t in TEMPLATES.values())
