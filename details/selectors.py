"""Reads of customer details: seed 000's coverage statistics."""
from __future__ import annotations

from django.db.models import Count, Q

from details.models import CustomerDetails


def _pct(part: int, total: int) -> float:
    return round(100.0 * part / total, 1) if total else 0.0


def customer_details_statistics(queryset=None) -> dict:
    """Coverage of the table: total, with cust_id, with borrower, by provider,
    direct and final entity distribution, sync status and source — counts
    and percentages of the total."""
    qs = CustomerDetails.objects.all() if queryset is None else queryset
    totals = qs.aggregate(
        total=Count("id"),
        with_cust_id=Count("id", filter=~Q(cust_id="")),
        with_borrower=Count("id", filter=Q(borrower_id__isnull=False)),
    )
    total = totals["total"]

    def distribution(column: str) -> list[dict]:
        rows = qs.order_by().values(column).annotate(count=Count("id")).order_by("-count", column)
        return [{"value": r[column] or "", "count": r["count"], "percent": _pct(r["count"], total)} for r in rows]

    return {
        "total": total,
        "with_cust_id": {"count": totals["with_cust_id"], "percent": _pct(totals["with_cust_id"], total)},
        "with_borrower": {"count": totals["with_borrower"], "percent": _pct(totals["with_borrower"], total)},
        "by_provider": distribution("acc_prvdr_code"),
        "direct_entity": distribution("direct_entity_type"),
        "final_entity": distribution("final_entity_type"),
        "sync_status": distribution("sync_status"),
        "source": distribution("source"),
    }


def format_statistics(stats: dict) -> str:
    """The statistics as seed 000 prints them."""
    total = stats["total"]
    lines = [
        "Statistics",
        f"- Total statements: {total:,}",
        f"- With cust_id: {stats['with_cust_id']['count']:,} ({stats['with_cust_id']['percent']:.1f}%)",
        f"- With borrower_id: {stats['with_borrower']['count']:,} ({stats['with_borrower']['percent']:.1f}%)",
    ]
    for row in stats["by_provider"]:
        lines.append(f"- {row['value'] or '(no provider)'}: {row['count']:,} ({row['percent']:.1f}%)")

    def dist(rows):
        return ", ".join(f"{r['value'] or '(none)'} {r['count']:,} ({r['percent']:.1f}%)" for r in rows) or "-"

    lines += [
        "Entity Distribution:",
        f"- Direct entities: {dist(stats['direct_entity'])}",
        f"- Final entities: {dist(stats['final_entity'])}",
    ]
    return "\n".join(lines)
