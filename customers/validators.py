"""Validation and normalisation of personal identifiers and contact data.

Each function returns the canonical form or raises ``ValidationError`` with
a message that names what is wrong, so admin forms, the API and services
all say the same thing.
"""
import re

from django.core.exceptions import ValidationError

from core.phones import InvalidPhoneNumber, normalize_phone

_SSN = re.compile(r"^(\d{3})-?(\d{2})-?(\d{4})$")
_SEPARATORS = re.compile(r"[\s\-.]")
_ACCOUNT = re.compile(r"^[A-Z0-9]{4,34}$")
_ROUTING = re.compile(r"^[A-Z0-9]{4,20}$")


def normalize_ssn(value: str) -> str:
    """Return ``XXX-XX-XXXX`` (the stored SSN format) or raise ``ValidationError``."""
    match = _SSN.match(str(value).strip())
    if not match:
        raise ValidationError("SSN must be in the format XXX-XX-XXXX.", code="invalid_ssn")
    area, group, serial = match.groups()
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        raise ValidationError("SSN is not a valid number.", code="invalid_ssn")
    return f"{area}-{group}-{serial}"


def normalize_phone_number(value: str, *, region: str | None = None) -> str:
    """E.164 (``+256706015809``), read in ``PHONE_DEFAULT_REGION`` when it has no country code."""
    try:
        return normalize_phone(value, region)
    except InvalidPhoneNumber as exc:
        raise ValidationError(f"{exc}. Use E.164 (+256706015809) or a local number.", code="invalid_phone") from None


def normalize_account_number(value: str) -> str:
    """Upper-case letters and digits, 4–34 of them (the IBAN maximum); spaces and dashes dropped."""
    text = _SEPARATORS.sub("", str(value or "")).upper()
    if not _ACCOUNT.match(text):
        raise ValidationError("An account number is 4 to 34 letters and digits.", code="invalid_account_number")
    return text


def normalize_routing_number(value: str) -> str:
    text = _SEPARATORS.sub("", str(value or "")).upper()
    if not text:
        return ""
    if not _ROUTING.match(text):
        raise ValidationError("A routing number is 4 to 20 letters and digits.", code="invalid_routing_number")
    return text
