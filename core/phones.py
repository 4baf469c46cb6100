"""Phone-number normalisation shared by every app.

Every phone number CreditDesk stores is E.164 (``+256706015809``). Loan books
and statements write numbers in many local shapes (``0706 015 809``,
``256706015809``, ``706015809``); ``normalize_phone`` turns all of them into
one canonical form so customers can be matched on it.
"""
from __future__ import annotations

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    """The text cannot be read as a valid phone number."""


def default_region() -> str:
    return settings.PHONE_DEFAULT_REGION


def normalize_phone(raw: str | int | None, region: str | None = None) -> str:
    """Return ``raw`` as an E.164 string, or raise ``InvalidPhoneNumber``.

    Numbers without a country code are read in ``region`` (default: the
    ``PHONE_DEFAULT_REGION`` setting). A number given as its bare national
    significant digits (``706015809``) is accepted too, because mobile-money
    statements and loan books often drop the leading zero.
    """
    if raw is None:
        raise InvalidPhoneNumber("phone number is empty")
    text = str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        # A spreadsheet cell read as a float: 256706015809.0
        text = text[:-2]
    if not text:
        raise InvalidPhoneNumber("phone number is empty")
    region = (region or default_region()).upper()
    digits = "".join(ch for ch in text if ch.isdigit())
    candidates = [text]
    if not text.startswith("+") and digits:
        if text.startswith("00"):
            candidates.insert(0, "+" + digits[2:])
        code = phonenumbers.country_code_for_region(region)
        if code and digits.startswith(str(code)) and len(digits) > len(str(code)) + 6:
            candidates.append("+" + digits)
        candidates.append("0" + digits)
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidPhoneNumber(f"{text!r} is not a valid phone number for region {region}")


def try_normalize_phone(raw, region: str | None = None) -> str | None:
    """``normalize_phone`` that answers ``None`` instead of raising."""
    try:
        return normalize_phone(raw, region)
    except InvalidPhoneNumber:
        return None
