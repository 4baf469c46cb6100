"""Reads for collections: the aging report, a customer's collections
summary, and debt querysets for lists."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Q, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import Customer
from debts.choices import DebtStatus, PaymentStatus
from debts.models import CommunicationLog, Debt, Payment

OPEN_STATUSES = (DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED)

# (key, label, filter on days_past_due). Boundaries are inclusive, as ops
# read them: "1–30" holds 1 and 30; "90+" is over 90.
AGING_BUCKETS = (
    ("current", "Current", Q(days_past_due=0)),
    ("d1_30", "1–30", Q(days_past_due__gte=1, days_past_due__lte=30)),
    ("d31_60", "31–60", Q(days_past_due__gte=31, days_past_due__lte=60)),
    ("d61_90", "61–90", Q(days_past_due__gte=61, days_past_due__lte=90)),
    ("d90_plus", "90+", Q(days_past_due__gt=90)),
)
AGING_GROUPS = {"none": (), "branch": ("branch",), "cluster": ("cluster",), "branch_cluster": ("cluster", "branch")}

_MONEY = DecimalField(max_digits=18, decimal_places=2)


def _bucket_aggregates() -> dict:
    aggregates = {}
    for key, _label, condition in AGING_BUCKETS:
        aggregates[f"aging_{key}_count"] = Count("id", filter=condition)
        aggregates[f"aging_{key}_balance"] = Coalesce(Sum("current_balance", filter=condition), Value(Decimal("0.00")), output_field=_MONEY)
    aggregates["aging_total_count"] = Count("id")
    aggregates["aging_total_balance"] = Coalesce(Sum("current_balance"), Value(Decimal("0.00")), output_field=_MONEY)
    return aggregates


def _shape(row: dict) -> dict:
    return {
        "buckets": [
            {"bucket": key, "label": label, "count": row[f"aging_{key}_count"], "balance": row[f"aging_{key}_balance"]}
            for key, label, _ in AGING_BUCKETS
        ],
        "total_count": row["aging_total_count"],
        "total_balance": row["aging_total_balance"],
    }


def aging_report(*, group_by: str = "none", branch: str | None = None, cluster: str | None = None) -> dict:
    """Open debts (active, in collection, defaulted) by days past due.

    Answers ``{"group_by", "totals": {buckets, total_count, total_balance},
    "groups": [{"cluster", "branch", buckets…}]}``; one GROUP BY query per
    part, whatever the number of debts.
    """
    if group_by not in AGING_GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(AGING_GROUPS)}")
    debts = Debt.objects.filter(status__in=OPEN_STATUSES).order_by()
    if branch:
        debts = debts.filter(branch=branch)
    if cluster:
        debts = debts.filter(cluster=cluster)
    totals = _shape(debts.aggregate(**_bucket_aggregates()))
    groups = []
    fields = AGING_GROUPS[group_by]
    if fields:
        for row in debts.values(*fields).annotate(**_bucket_aggregates()).order_by(*fields):
            groups.append({"cluster": row.get("cluster"), "branch": row.get("branch"), **_shape(row)})
    return {"group_by": group_by, "totals": totals, "groups": groups}


def customer_summary(*, customer: Customer) -> dict:
    """Total debt, active debt count, total paid, worst days past due, last
    payment and last contact of one customer (seed 002's ``get_customer_summary``).

    ``total_debt`` and ``active_debt_count`` cover debts still being
    collected (active, in collection, defaulted): a paid-off, settled or
    written-off debt is no longer owed. ``total_paid`` is completed payments
    (refunded ones gave the money back). Four queries.
    """
    debts = Debt.objects.filter(customer_id=customer.pk).order_by().aggregate(
        total_debt=Coalesce(Sum("current_balance", filter=Q(status__in=OPEN_STATUSES)), Value(Decimal("0.00")), output_field=_MONEY),
        active_debt_count=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        debt_count=Count("id"),
        worst_days_past_due=Coalesce(Max("days_past_due", filter=Q(status__in=OPEN_STATUSES)), Value(0)),
    )
    # A separate query: summed over a debts⨝payments join, balances would
    # count once per payment.
    total_paid = Payment.objects.filter(customer_id=customer.pk, status=PaymentStatus.COMPLETED).order_by().aggregate(
        total=Coalesce(Sum("amount"), Value(Decimal("0.00")), output_field=_MONEY)
    )["total"]
    last_payment = (
        Payment.objects.filter(customer_id=customer.pk, status=PaymentStatus.COMPLETED)
        .order_by("-payment_date", "-id")
        .values("id", "amount", "payment_date", "debt_id")
        .first()
    )
    last_log = (
        CommunicationLog.objects.filter(customer_id=customer.pk)
        .order_by("-timestamp", "-id")
        .values("id", "timestamp", "communication_type", "direction", "outcome")
        .first()
    )
    return {
        "customer": customer.pk,
        "total_debt": debts["total_debt"],
        "active_debt_count": debts["active_debt_count"],
        "debt_count": debts["debt_count"],
        "total_paid": total_paid,
        "worst_days_past_due": debts["worst_days_past_due"],
        "last_payment": last_payment,
        "last_contact_date": customer.last_contact_date,
        "last_contact": last_log,
    }
