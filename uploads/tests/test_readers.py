"""The reader: every shape of loan book an ops team receives reads the same."""
import io

import pytest

from uploads.readers import LoanBookError, detect_encoding, open_loan_book

FIRST_NAMES = ["Sarah Nakato", "Sarah Nakato", "José Müller", "Jose Muller", "David Okello"]


def _records(path):
    with open(path, "rb") as handle:
        reader = open_loan_book(handle, path.name)
        return reader, list(reader.records())


@pytest.mark.parametrize(
    "name,encoding,delimiter",
    [
        ("demo.csv", "utf-8", ","),
        ("demo_bom.csv", "utf-8-sig", ","),
        ("demo_latin1.csv", "cp1252", ","),
        ("demo_semicolon.csv", "utf-8", ";"),
        ("demo_crlf.csv", "utf-8", ","),
        ("demo.xlsx", "", ""),
    ],
)
def test_every_variant_reads_the_same_twelve_lines(loan_book, name, encoding, delimiter):
    reader, records = _records(loan_book(name))
    assert (reader.encoding, reader.delimiter) == (encoding, delimiter)
    assert [r.line_number for r in records] == list(range(2, 14))
    assert [r.values["name"] for r in records][:5] == FIRST_NAMES
    assert records[0].values["loan_id"] == "LN-1001"
    assert records[2].values["employee_contact"] == "0701 000 222"


def test_headers_match_regardless_of_case_spacing_and_order_and_unknown_columns_are_kept(loan_book):
    reader, records = _records(loan_book("demo_crlf.csv"))
    first = records[0]
    assert first.values["loan_id"] == "LN-1001"
    assert first.values["branch_contact"] == "0414 123456"
    assert first.values["due_amount"] == "150,000"
    # Raw data is keyed by the headers as written, unknown "Notes" included.
    assert first.raw["  LOAN ID ".strip()] == "LN-1001"
    assert first.raw["Notes"] == "note 1"


def test_xlsx_numbers_and_dates_read_as_text_a_person_would_type(loan_book):
    _, records = _records(loan_book("demo.xlsx"))
    assert records[0].values["amount"] == "1250000"
    assert records[0].values["due_date"] == "2024-01-15"
    assert records[3].values["phone"] == "256701555010"  # stored as a number in the sheet


def test_quoted_fields_with_delimiters_and_newlines_keep_the_line_numbers_of_the_file():
    text = (
        b'name,phone,loan_id,amount,Branch\r\n'
        b'"Kato, Francis",0772123456,L1,"1,000",Main\r\n'
        b'\r\n'
        b'"Auma\r\nEsther",0772123457,L2,500,"Jinja ""East"""\r\n'
        b'Okello,0772123458,L3,700,Gulu\r\n'
    )
    reader = open_loan_book(io.BytesIO(text), "book.csv")
    records = list(reader.records())
    assert [(r.line_number, r.values["name"]) for r in records] == [(2, "Kato, Francis"), (4, "Auma\r\nEsther"), (6, "Okello")]
    assert records[1].raw["Branch"] == 'Jinja "East"'
    assert records[0].values["amount"] == "1,000"


def test_a_late_non_utf8_byte_is_found_by_reading_the_whole_file():
    body = b"name,phone,loan_id,amount\n" + b"A,0772123456,L1,1\n" * 200_000 + "Zoë,0772123456,L2,1\n".encode("latin-1")
    assert detect_encoding(io.BytesIO(body)) == "cp1252"
    records = list(open_loan_book(io.BytesIO(body), "x.csv").records())
    assert records[-1].values["name"] == "Zoë"


def test_bytes_undefined_in_windows_1252_fall_back_to_latin_1():
    body = "name,phone,loan_id,amount\nA\x81,0772123456,L1,1\n".encode("latin-1")
    assert detect_encoding(io.BytesIO(body)) == "latin-1"


@pytest.mark.parametrize(
    "content,filename,message",
    [
        (b"name,phone,amount\nA,0772123456,1\n", "x.csv", "missing required column(s): loan_id"),
        (b"", "x.csv", "empty"),
        (b"%PDF-1.7 ...", "x.csv", "is a PDF"),
        (b"name,phone,loan_id,amount\nA\x00B,1,2,3\n", "x.csv", "NUL bytes"),
        (b"name,phone,loan_id,amount\n", "x.xlsx", "not an Excel workbook"),
        (b"Name,name,phone,loan_id,amount\n", "x.csv", "appears twice"),
    ],
)
def test_files_that_are_not_loan_books_are_refused_with_the_reason(content, filename, message):
    with pytest.raises(LoanBookError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_loan_book(io.BytesIO(content), filename).read_header()


def test_count_agrees_with_the_records_read(loan_book):
    for name in ("demo.csv", "demo_crlf.csv", "demo.xlsx", "bad_rows.csv"):
        with open(loan_book(name), "rb") as handle:
            reader = open_loan_book(handle, name)
            assert reader.count() == len(list(reader.records()))
    text = b'name,phone,loan_id,amount\n\n"A\nB",1,2,3\n , , , \nC,1,2,3\n'
    reader = open_loan_book(io.BytesIO(text), "x.csv")
    assert reader.count() == len(list(reader.records())) == 2
