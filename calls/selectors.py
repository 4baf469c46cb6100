"""Reads for the calls app: the dispatcher's queues and the ops dashboard.

Every list here is one bounded query (plus one prefetch), whatever the
number of customers or calls: the dashboard's latest call per customer is a
correlated subquery on the (customer, created_at) index, not a loop.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Case, CharField, Count, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from calls.choices import FINAL_CALL_STATUSES, CallStatus, DashboardCallState, DashboardPeriod
from calls.models import CallSession
from core.phones import phone_search_q
from core.timezones import time_zone_problem
from customers.models import Customer
from debts.models import Debt

# The dashboard's call states: ready, waiting, calling, completed, failed (calls.choices.DashboardCallState).
READY, WAITING, CALLING, COMPLETED, FAILED = (
    DashboardCallState.READY.value, DashboardCallState.WAITING.value, DashboardCallState.CALLING.value,
    DashboardCallState.COMPLETED.value, DashboardCallState.FAILED.value,
)
DASHBOARD_STATES = tuple(DashboardCallState.values)
CALLING_STATUSES = (CallStatus.SCHEDULED, CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS)
FAILED_STATUSES = (CallStatus.FAILED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.CANCELED)
PERIODS = tuple(DashboardPeriod.values)


def calls_due_for_dispatch(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of scheduled calls that are due and not being placed right now."""
    now = now or timezone.now()
    return list(
        CallSession.objects.filter(status=CallStatus.SCHEDULED)
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .filter(Q(dispatch_claimed_until__isnull=True) | Q(dispatch_claimed_until__lte=now))
        .order_by("scheduled_for", "id")
        .values_list("id", flat=True)[:limit]
    )


def calls_stuck(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of calls the provider accepted that have not finished long after
    they must have (the call's time limit plus ringing time plus a margin):
    their callbacks are late or lost."""
    now = now or timezone.now()
    horizon = now - timedelta(seconds=settings.EXOTEL_TIME_LIMIT + settings.EXOTEL_TIME_OUT + 300)
    return list(
        CallSession.objects.filter(
            status__in=(CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS),
            call_sid__isnull=False,
            updated_at__lt=horizon,
        )
        .order_by("updated_at")
        .values_list("id", flat=True)[:limit]
    )


def period_bounds(period: str, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of today / yesterday / the last seven days, in local time."""
    zone = timezone.get_current_timezone()
    local = timezone.localtime(now or timezone.now(), zone)
    midnight = datetime.combine(local.date(), time.min, tzinfo=zone)
    if period == "today":
        return midnight, midnight + timedelta(days=1)
    if period == "yesterday":
        return midnight - timedelta(days=1), midnight
    if period == "week":
        return midnight - timedelta(days=6), midnight + timedelta(days=1)
    raise ValueError(f"unknown period {period!r}")


def _latest_call():
    return CallSession.objects.filter(customer=OuterRef("pk")).order_by("-created_at", "-id")


# The dashboard's sortable columns: ``sort=<key>`` ascending, ``sort=-<key>``
# descending; the customer id breaks ties so pages never overlap.
DASHBOARD_SORTS = {
    "name": "full_name",
    "phone": "primary_phone",
    "call": "call_state",
    "dpd": "max_days_past_due",
    "principal": "total_principal",
    "outstanding": "total_outstanding",
    "due": "total_due",
    "due_date": "next_due_date",
    "branch": "first_branch",
    "employee": "first_employee",
    "uploaded": "first_uploaded_at",
    "last_contact": "last_contact_date",
}
DASHBOARD_DEFAULT_SORT = "-uploaded"


def dashboard_sort(sort: str | None) -> str:
    """``sort`` if it names a sortable column (optionally ``-``-prefixed), else the default."""
    key = (sort or "").strip()
    return key if key.lstrip("-") in DASHBOARD_SORTS else DASHBOARD_DEFAULT_SORT


def dashboard_customers(
    *,
    period: str | None = None,
    status: str | None = None,
    search: str = "",
    branch: str = "",
    employee: str = "",
    assigned_to_id: int | None = None,
    sort: str | None = None,
    now: datetime | None = None,
) -> QuerySet:
    """Customers with their loan totals, worst days past due, latest call and upload date.

    ``period`` (today/yesterday/week) filters on when the customer was first
    uploaded (``first_uploaded_at``, the dashboard's upload date); ``status``
    on the dashboard state of the latest call: ``ready`` (never called),
    ``waiting`` (scheduled, but its time — the next calling-hours window — is
    still ahead), ``calling`` (scheduled and due, or in progress),
    ``completed``, ``failed`` (failed, busy, no answer or canceled).
    ``branch`` / ``employee`` (an employee id or name) / ``assigned_to_id``
    ("my accounts") keep customers with at least one such loan. ``sort`` is a
    key of ``DASHBOARD_SORTS``, ``-`` for descending.
    """
    now = now or timezone.now()
    latest = _latest_call()
    debts_of = Debt.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    first_loan = Debt.objects.filter(customer=OuterRef("pk")).order_by("due_date", "id")
    qs = Customer.objects.annotate(
        loan_count=Coalesce(Subquery(debts_of.annotate(n=Count("id")).values("n")), 0),
        total_principal=Subquery(debts_of.annotate(s=Sum("original_amount")).values("s")),
        total_outstanding=Subquery(debts_of.annotate(s=Sum("current_balance")).values("s")),
        total_due=Subquery(debts_of.annotate(s=Sum("due_amount")).values("s")),
        max_days_past_due=Coalesce(Subquery(debts_of.annotate(m=Max("days_past_due")).values("m")), 0),
        next_due_date=Subquery(debts_of.annotate(d=Min("due_date")).values("d")),
        latest_call_id=Subquery(latest.values("id")[:1]),
        latest_call_status=Subquery(latest.values("status")[:1]),
        latest_call_at=Subquery(latest.values("created_at")[:1]),
        latest_call_scheduled_for=Subquery(latest.values("scheduled_for")[:1]),
    ).annotate(
        call_state=Case(
            When(latest_call_status__isnull=True, then=Value(READY)),
            When(latest_call_status=CallStatus.SCHEDULED, latest_call_scheduled_for__gt=now, then=Value(WAITING)),
            When(latest_call_status__in=CALLING_STATUSES, then=Value(CALLING)),
            When(latest_call_status=CallStatus.COMPLETED, then=Value(COMPLETED)),
            default=Value(FAILED),
            output_field=CharField(),
        )
    )
    if period:
        start, end = period_bounds(period, now=now)
        qs = qs.filter(first_uploaded_at__gte=start, first_uploaded_at__lt=end)
    if status == READY:
        qs = qs.filter(~Exists(CallSession.objects.filter(customer=OuterRef("pk"))))
    elif status == WAITING:
        qs = qs.filter(latest_call_status=CallStatus.SCHEDULED, latest_call_scheduled_for__gt=now)
    elif status == CALLING:
        qs = qs.filter(latest_call_status__in=CALLING_STATUSES).exclude(
            latest_call_status=CallStatus.SCHEDULED, latest_call_scheduled_for__gt=now
        )
    elif status == COMPLETED:
        qs = qs.filter(latest_call_status=CallStatus.COMPLETED)
    elif status == FAILED:
        qs = qs.filter(latest_call_status__in=FAILED_STATUSES)
    loans_match = Q()
    if branch:
        loans_match &= Q(branch=branch)
    if employee:
        loans_match &= Q(employee_id=employee) | Q(employee_name=employee)
    if assigned_to_id is not None:
        loans_match &= Q(assigned_to_id=assigned_to_id)
    if loans_match:
        qs = qs.filter(Exists(Debt.objects.filter(loans_match, customer=OuterRef("pk"))))
    if search:
        qs = qs.filter(_dashboard_search(search))
    order = dashboard_sort(sort)
    if order.lstrip("-") in ("branch", "employee"):
        qs = qs.annotate(first_branch=Subquery(first_loan.values("branch")[:1]), first_employee=Subquery(first_loan.values("employee_name")[:1]))
    field = DASHBOARD_SORTS[order.lstrip("-")]
    ordering = F(field).desc(nulls_last=True) if order.startswith("-") else F(field).asc(nulls_last=True)
    loans = Debt.objects.order_by("due_date", "id").only(
        "id", "customer_id", "loan_id", "original_amount", "current_balance", "due_amount", "due_date", "status",
        "last_payment_date", "last_payment_amount", "state", "cluster", "branch", "branch_contact", "employee_name",
        "employee_id", "employee_contact", "currency", "days_past_due",
    )
    return qs.prefetch_related(Prefetch("debts", queryset=loans, to_attr="loans")).order_by(ordering, "id")


def _dashboard_search(search: str) -> Q:
    """Name, phone (however it is typed: ``0772 123 456``, ``+256…``, a tail
    of 6+ digits, through ``core.phones``), or an exact loan id."""
    match = Q(full_name__icontains=search) | Q(primary_phone__icontains=search)
    phone = phone_search_q(search, "primary_phone", "secondary_phone")
    if phone is not None:
        match |= phone
    return match | Q(Exists(Debt.objects.filter(customer=OuterRef("pk"), loan_id=search)))


def call_states_for(customer_ids, *, now: datetime | None = None) -> dict[int, dict]:
    """Each customer's latest call as the dashboard states it (``state``,
    ``status``, ``scheduled_for``, ``badge``), for a page of rows (the work
    queue): one query, whatever the number of customers asked about."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(customer_ids))
    rows = Customer.objects.filter(pk__in=ids).annotate(
        latest_call_id=Subquery(_latest_call().values("id")[:1]),
        latest_call_status=Subquery(_latest_call().values("status")[:1]),
        latest_call_scheduled_for=Subquery(_latest_call().values("scheduled_for")[:1]),
    ).values_list("pk", "latest_call_id", "latest_call_status", "latest_call_scheduled_for")
    states = {}
    for pk, call_id, status, scheduled_for in rows:
        if status is None:
            state = READY
        elif status == CallStatus.SCHEDULED and scheduled_for and scheduled_for > now:
            state = WAITING
        elif status in CALLING_STATUSES:
            state = CALLING
        elif status == CallStatus.COMPLETED:
            state = COMPLETED
        else:
            state = FAILED
        states[pk] = {"state": state, "status": status, "call_id": call_id, "scheduled_for": scheduled_for if state == WAITING else None}
    return states


def dashboard_filter_choices() -> dict[str, list]:
    """The branches and employees the dashboard's filters offer (two grouped queries)."""
    branches = list(Debt.objects.exclude(branch="").order_by("branch").values_list("branch", flat=True).distinct()[:500])
    employees = [
        (emp_id or name, f"{name} ({emp_id})" if name and emp_id else name or emp_id)
        for emp_id, name in Debt.objects.exclude(employee_id="", employee_name="").order_by("employee_name", "employee_id")
        .values_list("employee_id", "employee_name").distinct()[:500]
    ]
    return {"branches": branches, "employees": employees}


def dashboard_state_counts(*, period: str | None = None, now: datetime | None = None, **filters) -> dict[str, int]:
    """How many customers are in each dashboard state (one query); ``filters``
    as ``dashboard_customers`` takes them (branch, employee, assigned_to_id, search)."""
    qs = dashboard_customers(period=period, now=now, **filters).prefetch_related(None).order_by()
    counts = {state: 0 for state in DASHBOARD_STATES}
    for row in qs.values("call_state").annotate(n=Count("id", distinct=True)).order_by():
        counts[row["call_state"]] = row["n"]
    return counts


def call_charts(*, days: int = 14, now: datetime | None = None, top: int = 6) -> dict:
    """Chart data for the dashboard: finished calls per
    day by outcome, and the daily success rate (completed ÷ finished) of the
    busiest branches and employees. Three grouped queries."""
    days = max(1, min(days, 90))
    problem = time_zone_problem()
    if problem:
        # Without the database's time-zone tables every call's local day is
        # NULL: say so (the dashboard shows it) instead of failing.
        return {"labels": [], "outcomes": [], "by_branch": [], "by_employee": [], "unavailable": problem}
    zone = timezone.get_current_timezone()
    local_today = timezone.localtime(now or timezone.now(), zone).date()
    first_day = local_today - timedelta(days=days - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    labels = [(first_day + timedelta(days=i)) for i in range(days)]
    finished = CallSession.objects.filter(created_at__gte=since, status__in=FINAL_CALL_STATUSES).annotate(
        day=TruncDate("created_at", tzinfo=zone)
    )

    outcomes = {status: [0] * days for status in FINAL_CALL_STATUSES}
    for row in finished.values("day", "status").annotate(n=Count("id")).order_by():
        index = (row["day"] - first_day).days
        if 0 <= index < days:
            outcomes[row["status"]][index] += row["n"]

    def success_by(field: str, blank_label: str) -> list[dict]:
        totals: dict[str, list[int]] = defaultdict(lambda: [0] * days)
        wins: dict[str, list[int]] = defaultdict(lambda: [0] * days)
        for row in finished.values("day", field, "status").annotate(n=Count("id")).order_by():
            key = row[field] or blank_label
            index = (row["day"] - first_day).days
            if 0 <= index < days:
                totals[key][index] += row["n"]
                if row["status"] == CallStatus.COMPLETED:
                    wins[key][index] += row["n"]
        busiest = sorted(totals, key=lambda k: (-sum(totals[k]), k))[:top]
        return [
            {
                "label": key,
                "calls": sum(totals[key]),
                "success_rate": round(100 * sum(wins[key]) / sum(totals[key]), 1) if sum(totals[key]) else None,
                "data": [round(100 * w / t, 1) if t else None for w, t in zip(wins[key], totals[key], strict=True)],
            }
            for key in busiest
        ]

    labels_text = [d.isoformat() for d in labels]
    return {
        "labels": labels_text,
        "outcomes": [
            {"status": status, "label": CallStatus(status).label, "data": outcomes[status]}
            for status in (CallStatus.COMPLETED, CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED, CallStatus.CANCELED)
        ],
        "by_branch": success_by("debt__branch", "(no branch)"),
        "by_employee": success_by("debt__employee_name", "(no employee)"),
    }
