"""PDF text helpers: dates, lines, header matching (pure, no database)."""
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from fixtures.statements import generate as gen
from statements.engine import check_bytes
from statements.engine.pdftable import match_header
from statements.engine.pdftext import Line, Word, group_lines, parse_pdf_date
from statements.engine.providers.uatl import F1_SPEC, F2_SPEC, header_fields


def test_pdf_dates():
    assert parse_pdf_date("D:20250901101500+03'00'") == datetime(2025, 9, 1, 10, 15, tzinfo=timezone(timedelta(hours=3)))
    assert parse_pdf_date("D:20250901101500Z") == datetime(2025, 9, 1, 10, 15, tzinfo=UTC)
    assert parse_pdf_date("D:20250901") == datetime(2025, 9, 1)
    assert parse_pdf_date("") is None and parse_pdf_date("garbage") is None


def words(y, *texts, start=10.0, step=60.0):
    return [Word(text, start + i * step, start + i * step + 5 * len(text), y) for i, text in enumerate(texts)]


def test_words_group_into_lines_by_baseline():
    lines = group_lines(words(100, "b", "a") + words(100.8, "c") + words(90, "d"))
    assert [len(line.words) for line in lines] == [3, 1]
    assert lines[0].words[0].x0 <= lines[0].words[1].x0


def test_header_rows_are_found_by_their_labels():
    f1 = Line(100, [Word(t, i * 10, i * 10 + 5, 100) for i, t in enumerate(
        "Transaction ID Transaction Date Description Status Transaction Amount Credit/Debit Fee Balance".split())])
    found = match_header(f1, F1_SPEC)
    assert [name for name, _ in found] == [c.name for c in F1_SPEC.columns]
    f2 = Line(100, [Word(t, i * 10, i * 10 + 5, 100) for i, t in enumerate(
        "Date Transation ID Transaction Type Description From To Status Amount Fee Balance".split())])
    assert len(match_header(f2, F2_SPEC)) == 10 and match_header(f2, F1_SPEC) is None


def test_side_by_side_label_blocks():
    texts = [("Customer", 10, 40), ("Name:", 42, 60), ("JOHN", 62, 80), ("Opening", 400, 430), ("Balance:", 432, 460), ("UGX", 462, 475), ("1,000", 477, 495)]
    line = Line(100, [Word(t, x0, x1, 100) for t, x0, x1 in texts])
    assert line.blocks(gap=14) == ["Customer Name: JOHN", "Opening Balance: UGX 1,000"]
    assert header_fields(line.blocks(gap=14)) == {"Customer Name": "JOHN", "Opening Balance": "UGX 1,000"}


@pytest.mark.parametrize("layout", [{"wrapped_header": True}, {"right_aligned_numbers": True}, {"centred_cells": True},
                                    {"wrapped_header": True, "right_aligned_numbers": True, "centred_cells": True}])
@pytest.mark.parametrize("fmt", [1, 2])
def test_layout_variations_read_the_same_table(fmt, layout):
    """Header labels wrapped over two lines in narrow cells, money flush right,
    cells centred vertically in tall rows (a wrapped description then starts
    above the transaction id): the same rows come out as from the plain layout."""
    meta = gen.F1_META if fmt == 1 else gen.F2_META
    st = gen.make_airtel_ledger(random.Random(7 + fmt), 45, start=datetime(2025, 3, 1, 8), opening=Decimal(90_000),
                                acc="706015809", fmt=fmt)
    plain = check_bytes(gen.write_pdf_table(st, fmt=fmt, info=meta))
    varied = check_bytes(gen.write_pdf_table(st, fmt=fmt, info=meta, **layout))
    rows = [[(p.raw.txn_id, p.raw.txn_date, p.amount, p.raw.fee, p.raw.balance, p.raw.description) for p in r.transactions]
            for r in (plain, varied)]
    assert len(rows[1]) == len(st.txns) and rows[0] == rows[1]
    assert varied.summary.header_row_manipulation_count == 0 and varied.summary.balance_match == "Success"
