import re

from django.core.exceptions import ValidationError

_SSN = re.compile(r"^(\d{3})-?(\d{2})-?(\d{4})$")


def normalize_ssn(value: str) -> str:
    """Return ``XXX-XX-XXXX`` or raise ``ValidationError`` (seed 002's format)."""
    match = _SSN.match(str(value).strip())
    if not match:
        raise ValidationError("SSN must be in the format XXX-XX-XXXX.", code="invalid_ssn")
    area, group, serial = match.groups()
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        raise ValidationError("SSN is not a valid number.", code="invalid_ssn")
    return f"{area}-{group}-{serial}"
