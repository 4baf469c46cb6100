"""Rule 1 (quality issues) and the small converters: pure, no database."""
from datetime import datetime
from decimal import Decimal

import pytest

from statements.engine.cells import RowReader
from statements.engine.cleaning import DateParser, NoNumber, acc_number_9, clean_amount, clean_fee, parse_header_date
from statements.engine.errors import BadCell


@pytest.mark.parametrize(
    "raw, value, dirty",
    [
        ("1,234", Decimal("1234"), False),
        ("+20000", Decimal("20000"), False),
        ("-1000", Decimal("-1000"), False),
        ("UGX 1,234.50", Decimal("1234.50"), False),
        ("105608-", Decimal("105608"), True),
        ("52854II", Decimal("52854"), True),
        ("-+1500000", Decimal("-1500000"), True),
        (12000, Decimal("12000"), False),
        (1500.5, Decimal("1500.5"), False),
    ],
)
def test_clean_amount_keeps_the_leading_number_and_says_when_it_was_dirty(raw, value, dirty):
    assert clean_amount(raw) == (value, dirty)


@pytest.mark.parametrize("raw", ["N/A", "", "abc", None])
def test_a_cell_with_no_number_is_refused(raw):
    with pytest.raises(NoNumber):
        clean_amount(raw)


def test_an_empty_fee_is_zero():
    assert clean_fee("") == (Decimal("0"), False)
    assert clean_fee("-") == (Decimal("0"), False)
    assert clean_fee("500") == (Decimal("500"), False)


def test_row_reader_names_page_row_and_column():
    reader = RowReader(page=2, row=21)
    with pytest.raises(BadCell) as caught:
        reader.number("Balance", "N/A")
    assert str(caught.value) == "page 2, row 21: column 'Balance' has no number (found 'N/A')"
    assert reader.number("Amount", "12II") == Decimal("12") and reader.dirty == ["Amount"]


def test_date_parser_tries_each_format():
    parse = DateParser(("%d-%m-%y %I:%M %p", "%Y-%m-%d %H:%M:%S"))
    assert parse("31-08-25 11:14 PM") == datetime(2025, 8, 31, 23, 14)
    assert parse("2025-02-01  07:16:11") == datetime(2025, 2, 1, 7, 16, 11)
    with pytest.raises(ValueError):
        parse("yesterday")


@pytest.mark.parametrize("text", ["01-Sep-2025", "01-09-2025", "2025-09-01", "01/09/2025", "01 September 2025", "01 Sep 2025"])
def test_request_dates_in_every_format_seen(text):
    assert parse_header_date(text) == datetime(2025, 9, 1)


def test_account_number_is_the_last_nine_digits():
    assert acc_number_9("256706015809") == "706015809"
    assert acc_number_9("706015809") == "706015809"
    assert acc_number_9("256706015809.0") == "706015809"
    assert acc_number_9("1234") is None
