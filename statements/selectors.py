"""Reads for statements (writes live in ``services``)."""
from __future__ import annotations

from statements.models import Statement


def statement_by_sha256(sha256: str) -> Statement | None:
    """The statement stored from the file with this SHA-256, if any."""
    return Statement.objects.filter(file_sha256=sha256).first()
