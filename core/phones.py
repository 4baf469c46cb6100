"""Phone-number normalisation shared by every app.

Every phone number CreditDesk stores is E.164 (``+256706015809``). Loan books
and statements write numbers in many local shapes (``0706 015 809``,
``256706015809``, ``706015809``); ``normalize_phone`` turns all of them into
one canonical form so customers can be matched on it.
"""
from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.db.models import Q


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


# --------------------------------------------------------------------------
# Searching by phone, however the number is typed.
#
# Stored numbers are E.164 (``primary_phone`` is indexed), so a search for a
# phone becomes an equality (``IN``) on that column, never ``LIKE '%…'``: a
# suffix LIKE cannot use an index and scans every row. A full number in any
# shape (``0772 123 456``, ``0772123456``, ``772123456``, ``+256 772 123456``,
# ``256772123456``) normalises to the one E.164 value. A tail of at least
# ``PHONE_SEARCH_MIN_TAIL`` digits is expanded to every E.164 number of the
# default region that ends in it: a national number is 9 digits in Uganda,
# so a 6-digit tail is 1,000 candidates, an index range scan of 1,000 probes
# (measured in bench/work_queue.py), not a table scan.

PHONE_SEARCH_MIN_TAIL = 6
# Above this many candidates (a tail 4+ digits short of a full number) the
# query is not treated as a phone: 10,000 probes is no longer a cheap search.
_MAX_TAIL_CANDIDATES = 1000
_SEPARATORS = str.maketrans("", "", " -.()/\u00a0")


def _national_length(region: str) -> int | None:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    return len(str(example.national_number)) if example else None


def phone_search_values(text: str | None, region: str | None = None) -> list[str]:
    """The E.164 numbers a search box's ``text`` can mean; ``[]`` when it is not a phone.

    ``text`` counts as a phone when, without spaces, dashes, dots and
    brackets, it is digits (a leading ``+`` allowed) and at least
    ``PHONE_SEARCH_MIN_TAIL`` of them. A number that normalises (the same
    rule as the stored data, :func:`normalize_phone`) gives its E.164 form;
    digits shorter than the default region's national number also give every
    number of that region ending in them (at most 1,000).
    """
    compact = (text or "").strip().translate(_SEPARATORS)
    digits = compact[1:] if compact.startswith("+") else compact
    if len(digits) < PHONE_SEARCH_MIN_TAIL or not digits.isdigit():
        return []
    values: list[str] = []
    full = try_normalize_phone(compact, region)
    if full:
        values.append(full)
    if not compact.startswith("+"):
        region = (region or default_region()).upper()
        length = _national_length(region)
        code = phonenumbers.country_code_for_region(region)
        missing = (length - len(digits)) if length else -1
        if code and 0 <= missing and 10**missing <= _MAX_TAIL_CANDIDATES:
            prefix = f"+{code}"
            values.extend(f"{prefix}{head:0{missing}d}{digits}" if missing else f"{prefix}{digits}" for head in range(10**missing))
    return list(dict.fromkeys(values))


def phone_search_q(text: str | None, *paths: str):
    """A ``Q`` matching rows whose phone at any of ``paths`` (``"primary_phone"``,
    ``"customer__primary_phone"``…) is a number ``text`` can mean, or ``None``
    when ``text`` is not a phone (see :func:`phone_search_values`)."""
    values = phone_search_values(text)
    if not values or not paths:
        return None
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{path}__in": values})
    return condition


# At most this many rows per phone column are taken from one search: a phone
# (or a 6-digit tail) names a handful of customers, never a table.
PHONE_SEARCH_MAX_ROWS = 10_000


def _matching_pks(model, path: str, values: list[str]) -> list:
    return list(model._default_manager.filter(**{f"{path}__in": values}).order_by().values_list("pk", flat=True)[:PHONE_SEARCH_MAX_ROWS])


def phone_search_condition(model, text: str | None, *paths: str):
    """Like :func:`phone_search_q`, for rows of ``model``, as ``pk IN (…)`` (or
    ``customer_id IN (…)`` for a related row's phone, ``customer__primary_phone``)
    over ids read first, one query per phone column: each an index range
    scan, where one statement ORing the columns with a 1,000-value tail
    list lets the optimiser fall back to reading the whole table (measured
    in bench/work_queue.py). ``None`` when ``text`` is not a phone."""
    values = phone_search_values(text)
    if not values or not paths:
        return None
    local, related = [], {}
    for path in paths:
        head, sep, rest = path.partition("__")
        if sep:
            related.setdefault(head, []).append(rest)
        else:
            local.append(path)
    condition = Q(pk__in=sorted({pk for path in local for pk in _matching_pks(model, path, values)})) if local else Q(pk__in=[])
    for head, rests in related.items():
        target = model._meta.get_field(head).related_model
        ids = sorted({pk for rest in rests for pk in _matching_pks(target, rest, values)})
        condition |= Q(**{f"{head}__in": ids})
    return condition
