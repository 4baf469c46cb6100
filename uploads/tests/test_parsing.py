"""Row validation: amounts, dates and errors that name the column and value."""
from datetime import date
from decimal import Decimal

import pytest

from uploads.parsing import FieldError, parse_amount, parse_date, parse_record
from uploads.readers import Record, map_headers


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1,250,000", "1250000.00"), ("1 250 000", "1250000.00"), ("2,50,000", "250000.00"), ("980000.50", "980000.50"),
        ("1.234.567,89", "1234567.89"), ("1,234.5", "1234.50"), ("1234,5", "1234.50"), ("UGX 15,000", "15000.00"),
        ("0", "0.00"),
    ],
)
def test_amounts_with_thousand_separators_and_decimal_commas(text, expected):
    value = parse_amount(text)
    assert isinstance(value, Decimal) and value == Decimal(expected)


@pytest.mark.parametrize(
    "text,message",
    [("-5", "negative"), ("(5)", "negative"), ("abc", "not an amount"), ("12.300", "2 decimal places"), ("1.005", "2 decimal places"),
     ("1,2,3", "not an amount"), ("1" * 15, "too large")],
)
def test_bad_amounts_say_what_is_wrong(text, message):
    with pytest.raises(FieldError, match=message):
        parse_amount(text)


@pytest.mark.parametrize("text", ["2024-01-15", "15/01/2024", "15-01-2024", "15-Jan-2024", "2024-01-15 00:00:00"])
def test_the_four_date_shapes(text):
    assert parse_date(text) == date(2024, 1, 15)


def test_an_impossible_date_is_refused():
    with pytest.raises(FieldError, match="not a date"):
        parse_date("31/02/2024")


def _record(**values):
    headers = ["Full Name", "Phone", "Loan ID", "Amount", "Due Date", "National ID", "Email"]
    keys = ["name", "phone", "loan_id", "amount", "due_date", "national_id", "email"]
    raw = {h: values.get(k, "") for h, k in zip(headers, keys, strict=True)}
    return Record(line_number=7, raw=raw, values={k: values.get(k, "") for k in keys}), map_headers(headers)


def test_each_error_names_line_column_as_written_and_value():
    record, header_map = _record(name="A", phone="12ab", loan_id="L1", amount="abc", due_date="32/01/2024")
    row = parse_record(record, header_map, region="UG")
    assert not row.ok
    assert row.errors == [
        'line 7, column "Phone" = "12ab": is not a valid phone number for region UG',
        'line 7, column "Amount" = "abc": is not an amount '
        "(write a number such as 1250000, 1,250,000, UGX 1,250,000 or 1.2m; words, units and symbols are not read)",
        'line 7, column "Due Date" = "32/01/2024": is not a date (use 2024-01-15, 15/01/2024, 15-01-2024 or 15-Jan-2024)',
    ]


def test_a_good_row_is_typed_and_the_phone_is_e164():
    record, header_map = _record(name="  Sarah   Nakato ", phone="0772 123 456", loan_id="L1", amount="1,000", email="S@Example.com")
    row = parse_record(record, header_map, region="UG")
    assert row.ok, row.errors
    assert (row.name, row.phone, row.amount, row.email) == ("Sarah Nakato", "+256772123456", Decimal("1000.00"), "s@example.com")


def test_phone_region_is_configurable():
    record, header_map = _record(name="Rajesh Kumar", phone="9876543210", loan_id="L1", amount="1")
    assert not parse_record(record, header_map, region="UG").ok
    assert parse_record(record, header_map, region="IN").phone == "+919876543210"
