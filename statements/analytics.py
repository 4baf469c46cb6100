"""Cross-provider analytics (seed 004): one set of tables for every provider
makes these plain GROUP BY queries."""
from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet, Sum

from statements.choices import BalanceMatch, StatementStatus


def provider_totals(statements: QuerySet) -> list[dict]:
    """Per provider: statements, distinct run_ids, transactions, duplicates,
    average balance-difference change ratio ("fraud score"), failed balance
    verifications, flagged and unreadable statements.

    ``statements`` is a (filtered) Statement queryset; a statement that
    failed to import has no summary and counts only in the totals.
    """
    rows = (
        statements.order_by()
        .values("acc_prvdr_code")
        .annotate(
            total_statements=Count("id"),
            distinct_run_ids=Count("run_id", distinct=True, filter=~Q(run_id="")),
            total_transactions=Sum("summary__num_rows"),
            total_duplicates=Sum("summary__duplicate_count"),
            avg_balance_diff_change_ratio=Avg("summary__balance_diff_change_ratio"),
            failed_verifications=Count("id", filter=Q(summary__balance_match=BalanceMatch.FAILED)),
            flagged=Count("id", filter=Q(status=StatementStatus.FLAGGED)),
            import_failed=Count("id", filter=Q(status=StatementStatus.IMPORT_FAILED)),
        )
        .order_by("acc_prvdr_code")
    )
    result = []
    for row in rows:
        row["total_transactions"] = row["total_transactions"] or 0
        row["total_duplicates"] = row["total_duplicates"] or 0
        ratio = row["avg_balance_diff_change_ratio"]
        row["avg_balance_diff_change_ratio"] = round(float(ratio), 6) if ratio is not None else None
        result.append(row)
    return result


def multi_provider_accounts(statements: QuerySet, *, limit: int = 100) -> tuple[int, list[dict]]:
    """Account numbers with statements under more than one provider: how many
    there are, and the ``limit`` with the most statements (providers listed)."""
    grouped = (
        statements.exclude(acc_number="")
        .order_by()
        .values("acc_number")
        .annotate(provider_count=Count("acc_prvdr_code", distinct=True), statement_count=Count("id"))
        .filter(provider_count__gt=1)
    )
    total = grouped.count()
    top = list(grouped.order_by("-statement_count", "acc_number")[:limit])
    if not top:
        return total, []
    # GROUP_CONCAT is MySQL-only; the provider lists come from one more query.
    providers: dict[str, set[str]] = {}
    pairs = statements.filter(acc_number__in=[r["acc_number"] for r in top]).order_by().values_list("acc_number", "acc_prvdr_code").distinct()
    for acc_number, provider in pairs:
        providers.setdefault(acc_number, set()).add(provider)
    return total, [
        {"acc_number": r["acc_number"], "providers": sorted(providers.get(r["acc_number"], ())), "statement_count": r["statement_count"]}
        for r in top
    ]
