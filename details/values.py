"""The data columns of CustomerDetails and how a row's values are cleaned
and hashed, the same whether they came from the CSV export, the core
database or mapper.csv."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone

from details.models import CustomerDetails

logger = logging.getLogger(__name__)

# Columns that are not data about the request/borrower: bookkeeping we set.
_BOOKKEEPING = {
    "id", "created_at", "updated_at", "customer", "relationship_manager", "source", "sync_status",
    "synced_at", "sync_error", "content_hash",
}
DATA_FIELDS: tuple[str, ...] = tuple(
    f.name for f in CustomerDetails._meta.concrete_fields if f.name not in _BOOKKEEPING
)
ENCRYPTED_FIELDS = ("lead_id_proof_num", "lead_national_id")
_CHAR_LIMITS = {
    f.name: f.max_length
    for f in CustomerDetails._meta.concrete_fields
    if f.name in DATA_FIELDS and isinstance(f, (models.CharField, models.TextField)) and not f.null
}


def canonical(value) -> str:
    """The text a value is hashed as, the same whether it came from a CSV cell
    or a core-database column (so ``1500000`` and ``1500000.00`` agree)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def content_hash(values: Mapping) -> str:
    """SHA-256 of the data values (sorted by name) that a row was written with."""
    digest = hashlib.sha256()
    for name in sorted(values):
        if name in _BOOKKEEPING:
            continue
        digest.update(name.encode())
        digest.update(b"\x1f")
        digest.update(canonical(values[name]).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def clean_values(values: Mapping) -> dict:
    """Only data fields; text columns get "" for missing and are clipped to the column."""
    cleaned = {}
    for name, value in values.items():
        if name not in DATA_FIELDS:
            continue
        limit = _CHAR_LIMITS.get(name, -1)
        if limit != -1:
            value = "" if value is None else str(value).strip()
            if limit and len(value) > limit:
                logger.warning("customer details %s: %s longer than %s characters, clipped", values.get("run_id"), name, limit)
                value = value[:limit]
        cleaned[name] = value
    return cleaned
