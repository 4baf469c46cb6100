"""Money as ops staff read it: ``UGX 1,250,000``.

One formatter for every place a person reads an amount (admin columns,
pages through ``{% load money %}``, the API's ``*_display`` fields). The API
keeps the amount itself as a decimal string beside it; this is only how it
is shown.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings

BLANK = "—"


def _decimal(amount) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(repr(amount) if isinstance(amount, float) else str(amount))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return value if value.is_finite() else None


def format_amount(amount) -> str:
    """``Decimal("1250000.00")`` → ``"1,250,000"``; ``1100000.5`` → ``"1,100,000.50"``.

    Thousands separators always; the cents only when there are some (no
    spurious ``.00``, never one decimal place). ``None`` or text that is not
    a number → ``"—"`` (a blank cell, never a crash).
    """
    value = _decimal(amount)
    if value is None:
        return BLANK
    value = value.quantize(Decimal("0.01"))
    sign = "-" if value < 0 else ""
    value = abs(value)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{sign}{text}"


def format_ugx(amount, currency: str | None = None) -> str:
    """``Decimal("1250000.00")`` → ``"UGX 1,250,000"``; negative → ``"-UGX 5,000"``;
    ``None`` → ``"—"``. ``currency`` defaults to ``DEFAULT_CURRENCY`` (UGX)."""
    text = format_amount(amount)
    if text == BLANK:
        return BLANK
    code = currency or settings.DEFAULT_CURRENCY
    return f"-{code} {text[1:]}" if text.startswith("-") else f"{code} {text}"
