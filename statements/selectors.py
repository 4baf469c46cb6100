"""Reads for statements (writes live in ``services``)."""
from __future__ import annotations

from django.db.models import Count, Sum

from statements.engine.vocabulary import SpecialType
from statements.models import ProcessedTransaction, Statement

# Specials whose amount does not move the balance (rule 4) and rows that are not transactions.
NOT_MOVING_KINDS = (SpecialType.COMMISSION, SpecialType.DEALLOCATION, SpecialType.ROLLBACK, SpecialType.FAILED, SpecialType.ROLLED_BACK)


def statement_by_sha256(sha256: str) -> Statement | None:
    """The statement stored from the file with this SHA-256, if any."""
    return Statement.objects.filter(file_sha256=sha256).first()


def top_counterparties(statement_id: int, *, limit: int = 5) -> dict[str, list[dict]]:
    """The statement's counterparties with the most money in and out (issue 18):
    {"in": [...], "out": [...]}, each row its number, name, total (positive) and
    row count; duplicates and rows that do not move the balance are left out."""
    rows = (
        ProcessedTransaction.objects.filter(statement_id=statement_id, is_duplicate=False)
        .exclude(counterparty_number="", counterparty_name="")
        .exclude(special_type__in=NOT_MOVING_KINDS)
    )
    out: dict[str, list[dict]] = {}
    for side, where, order in (("in", {"amount__gt": 0}, "-total"), ("out", {"amount__lt": 0}, "total")):
        grouped = (rows.filter(**where).values("counterparty_number", "counterparty_name")
                   .annotate(total=Sum("amount"), count=Count("id")).order_by(order, "counterparty_name")[:limit])
        out[side] = [{"number": g["counterparty_number"], "name": g["counterparty_name"], "total": abs(g["total"]), "count": g["count"]}
                     for g in grouped]
    return out
