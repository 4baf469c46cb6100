"""Reads for collections: the aging report, a customer's collections
summary, the work queue, and debt querysets for lists."""
from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, Count, DecimalField, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.calling_hours import zones_callable_now
from customers.models import Customer
from debts.choices import DebtStatus, PaymentStatus, PromiseStatus
from debts.models import CommunicationLog, Debt, Disposition, Payment, PromiseToPay

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


# --------------------------------------------------------------------------
# The work queue


WORK_QUEUE_SCOPES = ("mine", "team", "all")
DPD_BUCKETS = {key: condition for key, _label, condition in AGING_BUCKETS}
DPD_BUCKET_LABELS = {key: label for key, label, _condition in AGING_BUCKETS}

# The queue's default order ("priority"), most urgent first. Days past due
# come first but by bucket (90+, 61–90, 31–60, 1–30, current), not by the
# day: within a bucket a day more or less matters less than the rest, and
# ordered by the day alone the other keys would never decide anything.
# Within a bucket: a promise due (or broken) today, because it is today's
# or never; then people who can be called now (inside calling hours in their
# own zone: a call to anyone else waits); then the larger amount overdue;
# then the longest since the last contact (never contacted first).
PRIORITY_ORDER = (
    "-dpd_rank",
    "-promise_today",
    "-callable_now",
    "-amount_overdue",
    F("last_contact_at").asc(nulls_first=True),
    "id",
)
# Every column the queue shows sorts (``?ordering=`` with ``-`` for descending).
WORK_QUEUE_ORDERINGS = {
    "days_past_due": "days_past_due",
    "dpd_bucket": "dpd_rank",
    "amount_overdue": "amount_overdue",
    "current_balance": "current_balance",
    "due_date": "due_date",
    "last_contact_at": "last_contact_at",
    "promise_today": "promise_today",
    "callable_now": "callable_now",
    "customer": "customer__full_name",
    "loan_id": "loan_id",
    "branch": "branch",
    "employee": "employee_name",
    "status": "status",
    "assigned_to": "assigned_to__username",
    "next_action_date": "next_action_date",
}

_DPD_RANK = Case(
    When(days_past_due__gt=90, then=Value(4)),
    When(days_past_due__gt=60, then=Value(3)),
    When(days_past_due__gt=30, then=Value(2)),
    When(days_past_due__gt=0, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


_QUEUE_DEFERRED = (
    "notes", "closed_reason", "account_number", "account_number_hash",
    "customer__notes", "customer__ssn", "customer__ssn_hash", "customer__national_id", "customer__national_id_hash",
    "customer__address_line1", "customer__address_line2",
    "assigned_to__password",
)


class _CountedQuerySet(QuerySet):
    """A queryset whose ``count()`` (a paginator's) is asked of
    ``_count_source``, a cheaper queryset of the same rows. Any further
    chaining makes a plain clone that counts itself."""

    _count_source: QuerySet | None = None

    def count(self) -> int:
        if self._count_source is not None and self._result_cache is None:
            return self._count_source.count()
        return super().count()


def _callable_now_condition(now: datetime) -> Q:
    """Customers inside calling hours in their own zone, as an ``IN`` on
    ``customer.timezone``. A zone name Python does not know counts as the
    lender's own zone (``TIME_ZONE``), as the call scheduler reads it."""
    callable_zones, closed_zones = zones_callable_now(now=now)
    if settings.TIME_ZONE in callable_zones:
        return ~Q(customer__timezone__in=closed_zones)
    return Q(customer__timezone__in=callable_zones)


def _check_scope(user, scope: str) -> None:
    if scope not in WORK_QUEUE_SCOPES:
        raise ValidationError({"scope": f"Use one of: {', '.join(WORK_QUEUE_SCOPES)}."})
    if scope != "mine" and not user.has_perm("debts.assign_debt"):
        raise PermissionDenied(f"The {scope!r} queue needs the debts.assign_debt permission (team leads, ops admins); yours is 'mine'.")


def work_queue_orderings(ordering: str | None) -> tuple:
    """The ``order_by`` of ``ordering`` ("priority", or a WORK_QUEUE_ORDERINGS
    key with an optional ``-``; comma-separated for several), ending on id."""
    if not ordering or ordering == "priority":
        return PRIORITY_ORDER
    keys = []
    for part in ordering.split(","):
        part = part.strip()
        name = part.lstrip("-")
        if name == "priority":
            keys.extend(PRIORITY_ORDER[:-1])
            continue
        if name not in WORK_QUEUE_ORDERINGS:
            raise ValidationError({"ordering": f"{name!r} does not sort; use priority or one of: {', '.join(WORK_QUEUE_ORDERINGS)}."})
        column = WORK_QUEUE_ORDERINGS[name]
        keys.append(F(column).desc(nulls_last=True) if part.startswith("-") else F(column).asc(nulls_first=True))
    return (*keys, "id")


def work_queue(
    *,
    user,
    scope: str = "mine",
    branch: str | None = None,
    employee: str | None = None,
    status: str | None = None,
    dpd_bucket: str | None = None,
    assigned_to_id: int | None = None,
    ordering: str | None = "priority",
    include_snoozed: bool = False,
    now: datetime | None = None,
) -> QuerySet[Debt]:
    """The debts an agent works, most urgent first (``PRIORITY_ORDER``).

    ``scope``: ``mine`` (assigned to ``user``; anyone), ``team`` (assigned to
    any agent) or ``all`` (every open debt, unassigned too); team and all
    need ``debts.assign_debt`` (PermissionDenied otherwise). Only open debts
    (active, in collection, defaulted); a debt whose latest contact set a
    next action date after today is left out until that day
    (``include_snoozed`` shows it). Filters: ``branch`` (exact),
    ``employee`` (the loan book's employee id or name), ``status`` (one open
    status), ``dpd_bucket`` (``DPD_BUCKETS`` key), ``assigned_to_id`` (team
    and all only). Bad filter values raise ValidationError naming the field.

    Each row is a Debt with its customer and assignee joined, annotated
    with ``dpd_rank`` (0 current … 4 for 90+), ``promise_today`` (a pending
    promise due today or earlier, or one broken today), ``callable_now``
    (inside calling hours in the customer's zone), ``amount_overdue``
    (the due amount, else the balance, once past due; 0 when current) and
    ``last_contact_at`` (the customer's last contact). One query for the
    rows (plus one COUNT when paginated, made without the annotations and
    their join), whatever the page size.
    """
    _check_scope(user, scope)
    now = now or timezone.now()
    today = timezone.localdate(now)
    qs = Debt.objects.filter(status__in=OPEN_STATUSES)
    if scope == "mine":
        qs = qs.filter(assigned_to=user)
    elif scope == "team":
        qs = qs.filter(assigned_to__isnull=False)
    if assigned_to_id is not None:
        if scope == "mine":
            raise ValidationError({"assigned_to": "Filtering by agent needs the team or all scope."})
        qs = qs.filter(assigned_to_id=assigned_to_id)
    if status:
        if status not in OPEN_STATUSES:
            raise ValidationError({"status": f"The queue holds open debts only: {', '.join(OPEN_STATUSES)}."})
        qs = qs.filter(status=status)
    if dpd_bucket:
        if dpd_bucket not in DPD_BUCKETS:
            raise ValidationError({"dpd_bucket": f"Use one of: {', '.join(DPD_BUCKETS)}."})
        qs = qs.filter(DPD_BUCKETS[dpd_bucket])
    if branch:
        qs = qs.filter(branch=branch)
    if employee:
        qs = qs.filter(Q(employee_id=employee) | Q(employee_name=employee))
    if not include_snoozed:
        qs = qs.filter(Q(next_action_date__isnull=True) | Q(next_action_date__lte=today))
    # The same rows without the annotations: the annotations join the
    # customer (an inner join on a required key: no row is added or lost),
    # and counting 5,000 rows through that join took 40 ms against 2 ms.
    counted_rows = qs.order_by()
    zone = timezone.get_current_timezone()
    today_start = datetime.combine(today, time.min, tzinfo=zone)
    promise_due = PromiseToPay.objects.filter(debt_id=OuterRef("pk")).filter(
        Q(status=PromiseStatus.PENDING, promised_date__lte=today) | Q(status=PromiseStatus.BROKEN, evaluated_at__gte=today_start)
    )
    qs = qs.annotate(
        dpd_rank=_DPD_RANK,
        promise_today=Exists(promise_due),
        callable_now=Case(When(_callable_now_condition(now), then=Value(True)), default=Value(False), output_field=BooleanField()),
        amount_overdue=Case(
            When(days_past_due__gt=0, then=Coalesce("due_amount", "current_balance")),
            default=Value(Decimal("0.00")),
            output_field=_MONEY,
        ),
        last_contact_at=F("customer__last_contact_date"),
    )
    # The long text columns nobody reads in a queue row stay behind: sorting
    # thousands of rows carrying them makes the database sort row ids and
    # read every row a second time.
    rows = qs.select_related("customer", "assigned_to").defer(*_QUEUE_DEFERRED).order_by(*work_queue_orderings(ordering))
    counted = _CountedQuerySet(model=Debt, query=rows.query, using=rows.db)
    counted._count_source = counted_rows
    return counted


def dpd_bucket_of(days_past_due: int) -> str:
    """The ``DPD_BUCKETS`` key of a number of days past due."""
    if days_past_due > 90:
        return "d90_plus"
    if days_past_due > 60:
        return "d61_90"
    if days_past_due > 30:
        return "d31_60"
    if days_past_due > 0:
        return "d1_30"
    return "current"


def customer_debts(*, customer_id: int) -> QuerySet[Debt]:
    """A customer's debts, open ones first then newest, with their assignee
    (for the customer page: status, balance, days past due). One query."""
    open_first = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return Debt.objects.filter(customer_id=customer_id).select_related("assigned_to").order_by(open_first, "-days_past_due", "-id")


def active_dispositions() -> QuerySet[Disposition]:
    """The dispositions offered for a new contact, in the admin's order."""
    return Disposition.objects.filter(active=True).order_by("sort_order", "label")
