"""Small text helpers shared by the ingestion pipelines."""
from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize_name(name: str | None) -> str:
    """Lower-case, accent-free, single-spaced name used for matching."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return _SPACES.sub(" ", text).strip()


def customer_fingerprint(phone_e164: str, name: str | None = None, national_id: str | None = None) -> str:
    """The deduplication key of a customer (docs/glossary.md, "fingerprint").

    Phone + national ID when the national ID is known: it identifies the
    person better than the spelling of a name, so it wins; otherwise phone +
    the normalised name (the loan-book matching rule, docs/architecture.md).
    """
    if national_id:
        basis = f"nid|{phone_e164}|{normalize_identifier(national_id)}"
    else:
        basis = f"name|{phone_e164}|{normalize_name(name)}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def normalize_identifier(value: str | None) -> str:
    """Upper-case an identifier (national ID, SSN) and drop separators."""
    if not value:
        return ""
    return re.sub(r"[\s\-./]", "", str(value)).upper()
