"""The reports, as reads: each selector aggregates in SQL (a few GROUP BY
queries, whatever the size of the book) and returns one tidy pandas
DataFrame at the report's grain; ``reports.tables`` pivots it into the
tables the API, the page and the Excel file show.

Money stays ``Decimal``: SQL sums come back as ``Decimal`` and sit in
``object`` columns; nothing here turns them into floats.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, ExpressionWrapper, F, IntegerField, Max, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from calls.choices import CallStatus
from calls.models import CallSession
from debts.choices import CommunicationOutcome, DebtStatus
from debts.models import CommunicationLog, Debt, PromiseToPay
from reports import collected
from reports.choices import BUCKETS_30_PLUS, BUCKETS_90_PLUS, OPEN_BUCKETS, Period
from reports.filters import ReportFilters
from reports.models import PortfolioSummary
from statements.choices import StatementStatus
from statements.models import Statement, StatementSummary

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=18, decimal_places=2)
OPEN_STATUSES = (DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED)
# Contacts that reached the customer themself (the right party).
RIGHT_PARTY_OUTCOMES = (
    CommunicationOutcome.CONNECTED, CommunicationOutcome.PAYMENT_PROMISED, CommunicationOutcome.PAYMENT_MADE,
    CommunicationOutcome.REFUSED, CommunicationOutcome.DISPUTE, CommunicationOutcome.CALLBACK_REQUESTED,
)


def _money_sum(field: str, **kwargs):
    return Coalesce(Sum(field, **kwargs), Value(ZERO), output_field=_MONEY)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A DataFrame with exactly ``columns`` (also when there are no rows);
    every column ``object``, so Decimals stay Decimals."""
    return pd.DataFrame.from_records(rows, columns=columns).astype(object)


def _local_bounds(filters: ReportFilters) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in TIME_ZONE: a
    range on a datetime column that its index can use (no per-row time-zone
    conversion)."""
    zone = timezone.get_current_timezone()
    return (datetime.combine(filters.date_from, time.min, tzinfo=zone),
            datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=zone))


def _summaries(filters: ReportFilters):
    """The summary rows (``PortfolioSummary``), narrowed by branch and employee."""
    qs = PortfolioSummary.objects.order_by()
    if filters.branch:
        qs = qs.filter(branch=filters.branch)
    if filters.employee:
        qs = qs.filter(employee_id=filters.employee)
    return qs


def _debt_filter(filters: ReportFilters, prefix: str = "debt__") -> Q:
    q = Q()
    if filters.branch:
        q &= Q(**{f"{prefix}branch": filters.branch})
    if filters.employee:
        q &= Q(**{f"{prefix}employee_id": filters.employee})
    return q


def snapshot_dates(*, until: date | None = None) -> list[date]:
    """Every snapshot date (up to ``until``), oldest first."""
    qs = PortfolioSummary.objects.order_by("snapshot_date").values_list("snapshot_date", flat=True).distinct()
    if until:
        qs = qs.filter(snapshot_date__lte=until)
    return list(qs)


def month_ends(dates: list[date]) -> list[date]:
    """The last snapshot date of each month among ``dates``, oldest first."""
    last: dict[tuple[int, int], date] = {}
    for d in dates:
        key = (d.year, d.month)
        if key not in last or d > last[key]:
            last[key] = d
    return sorted(last.values())


def agent_names(ids) -> dict[int, str]:
    ids = {int(i) for i in ids if i is not None and not pd.isna(i)}
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(id__in=ids).values_list("id", "username"))


# --- Aging ------------------------------------------------------------------

AGING_COLUMNS = ["snapshot_date", "branch", "employee_id", "employee_name", "bucket", "debt_count", "outstanding"]


def aging(*, filters: ReportFilters) -> pd.DataFrame:
    """Open debts by days-past-due bucket, branch and employee, on the latest
    snapshot on or before ``date_to``: count and outstanding balance."""
    as_of = PortfolioSummary.objects.filter(snapshot_date__lte=filters.date_to).aggregate(d=Max("snapshot_date"))["d"]
    if as_of is None:
        return _frame([], AGING_COLUMNS)
    rows = (
        _summaries(filters).filter(snapshot_date=as_of, bucket__in=OPEN_BUCKETS)
        .values("branch", "employee_id", "bucket")
        .annotate(employee_name=Max("employee_name"), debt_count=Sum("debt_count"), outstanding=_money_sum("balance"))
    )
    return _frame([{**row, "snapshot_date": as_of} for row in rows], AGING_COLUMNS)


# --- Roll rates -------------------------------------------------------------

ROLL_COLUMNS = ["month", "from_bucket", "to_bucket", "debt_count", "balance"]


def roll_rates(*, filters: ReportFilters, months: int = 6) -> pd.DataFrame:
    """Month-over-month transitions between buckets: for each of the last
    ``months`` month-end snapshots in the range, the debts that were open on
    the previous month's last snapshot, by where they were (``from_bucket``)
    and where they are (``to_bucket``), with their balance now."""
    ends = [d for d in month_ends(snapshot_dates(until=filters.date_to)) if d >= filters.date_from][-months:]
    if not ends:
        return _frame([], ROLL_COLUMNS)
    rows = (
        _summaries(filters).filter(snapshot_date__in=ends, prev_bucket__in=OPEN_BUCKETS)
        .values("snapshot_date", "prev_bucket", "bucket")
        .annotate(debt_count=Sum("debt_count"), balance=_money_sum("balance"))
    )
    return _frame(
        [{"month": r["snapshot_date"], "from_bucket": r["prev_bucket"], "to_bucket": r["bucket"],
          "debt_count": r["debt_count"], "balance": r["balance"]} for r in rows],
        ROLL_COLUMNS,
    )


# --- Vintage ----------------------------------------------------------------

VINTAGE_COLUMNS = ["disbursement_month", "months_on_book", "debt_count", "principal", "principal_30_plus", "principal_90_plus"]


def vintage(*, filters: ReportFilters) -> pd.DataFrame:
    """For each disbursement month and month on book (1…N, from the month-end
    snapshots in the range): the principal of the vintage's debts, and of
    those 30+ and 90+ days past due (written off counts as both)."""
    ends = [d for d in month_ends(snapshot_dates(until=filters.date_to)) if d >= filters.date_from]
    if not ends:
        return _frame([], VINTAGE_COLUMNS)
    rows = (
        _summaries(filters).filter(snapshot_date__in=ends, disbursement_month__isnull=False)
        .values("snapshot_date", "disbursement_month")
        .annotate(
            debt_count=Sum("debt_count"), principal_all=_money_sum("principal"),
            principal_30_plus=_money_sum("principal", filter=Q(bucket__in=BUCKETS_30_PLUS)),
            principal_90_plus=_money_sum("principal", filter=Q(bucket__in=BUCKETS_90_PLUS)),
        )
    )
    out = []
    for r in rows:
        snapshot, disbursed = r.pop("snapshot_date"), r["disbursement_month"]
        months_on_book = (snapshot.year * 12 + snapshot.month) - (disbursed.year * 12 + disbursed.month)
        if months_on_book >= 1:
            out.append({**r, "months_on_book": months_on_book, "principal": r.pop("principal_all")})
    return _frame(out, VINTAGE_COLUMNS)


# --- Collection efficiency ----------------------------------------------------

EFFICIENCY_COLUMNS = ["period_start", "period_end", "opening_snapshot", "branch", "agent_id", "amount_due", "amount_collected"]


def periods(filters: ReportFilters, period: str) -> list[tuple[date, date]]:
    """[start, end) of each period touching the date range."""
    if period == Period.WEEK:
        start = filters.date_from - timedelta(days=filters.date_from.weekday())
    elif period == Period.QUARTER:
        start = date(filters.date_from.year, 3 * ((filters.date_from.month - 1) // 3) + 1, 1)
    else:
        start = filters.date_from.replace(day=1)
    out = []
    while start <= filters.date_to:
        if period == Period.WEEK:
            end = start + timedelta(days=7)
        else:
            step = 3 if period == Period.QUARTER else 1
            month = start.month - 1 + step
            end = date(start.year + month // 12, month % 12 + 1, 1)
        out.append((start, end))
        start = end
    return out


def collection_efficiency(*, filters: ReportFilters, period: str = Period.MONTH) -> pd.DataFrame:
    """Amount collected over amount due, per period, branch and agent.

    A period's book is its opening snapshot (the last snapshot before the
    period starts): amount due is the due amount (else the balance) of its
    open debts; amount collected is the completed payments dated in the
    period on those debts. Branch and agent (the assignee) are the opening
    snapshot's. A period with no snapshot before it has no row. Amount
    collected is read from the collections summary where it is current and
    summed from the payments where not (``reports.collected``).
    """
    dates = snapshot_dates(until=filters.date_to)
    spans = []
    for start, end in periods(filters, period):
        opening = max((d for d in dates if d < start), default=None)
        if opening is not None:
            spans.append((start, end, opening))
    if not spans:
        return _frame([], EFFICIENCY_COLUMNS)
    due = (
        _summaries(filters).filter(snapshot_date__in={o for _s, _e, o in spans}, bucket__in=OPEN_BUCKETS)
        .values("snapshot_date", "branch", "assigned_to_id")
        .annotate(amount_due=_money_sum("amount_due"))
    )
    due_by = {(r["snapshot_date"], r["branch"], r["assigned_to_id"]): r["amount_due"] for r in due}
    collected_by, _plan = collected.sums([collected.Segment(start, opening, start, end) for start, end, opening in spans],
                                         by=("branch", "assigned_to_id"), branch=filters.branch, employee=filters.employee)
    rows = []
    for start, end, opening in spans:
        keys = {(b, a) for (o, b, a) in due_by if o == opening} | {(b, a) for (s, b, a) in collected_by if s == start}
        for branch, agent in keys:
            rows.append({
                "period_start": start, "period_end": end - timedelta(days=1), "opening_snapshot": opening, "branch": branch,
                "agent_id": agent, "amount_due": due_by.get((opening, branch, agent), ZERO),
                "amount_collected": collected_by.get((start, branch, agent), ZERO),
            })
    return _frame(rows, EFFICIENCY_COLUMNS)


# --- Promises -----------------------------------------------------------------

PROMISE_COLUMNS = ["agent_id", "status", "promises", "amount_promised", "amount_paid"]


def promises(*, filters: ReportFilters) -> pd.DataFrame:
    """Promises to pay made in the range (by when they were recorded), by
    the agent who recorded them and status: count, amount promised and
    amount paid against them."""
    start, end = _local_bounds(filters)
    rows = (
        PromiseToPay.objects.order_by().filter(_debt_filter(filters), created_at__gte=start, created_at__lt=end)
        .values("created_by_id", "status")
        .annotate(promises=Count("id"), amount_promised=_money_sum("amount"), amount_paid=_money_sum("amount_paid"))
    )
    return _frame([{**r, "agent_id": r.pop("created_by_id")} for r in rows], PROMISE_COLUMNS)


# --- Agents -------------------------------------------------------------------

AGENT_COLUMNS = ["agent_id", "accounts_assigned", "outstanding_assigned", "contacts", "right_party_contacts", "promises",
                 "amount_collected", "calls_placed", "calls_completed"]


def _group_key(field: str):
    """``field + 0``: grouping by an expression, not the bare column, so
    MariaDB does not walk the column's index row by row to avoid a sort (a
    full scan with a hundred groups in memory is many times faster)."""
    return ExpressionWrapper(F(field) + Value(0), output_field=IntegerField())


def _collected_by_assignee(filters: ReportFilters) -> list[tuple[int | None, Decimal]]:
    """Completed payments dated in the range, each credited to its debt's
    assignee on the last snapshot on or before the payment's day (the
    collections summary where current, else live: ``reports.collected``).
    Branch and employee are that snapshot's too."""
    segments = collected.credit_segments(filters.date_from, filters.date_to, snapshot_dates(until=filters.date_to))
    by_agent, _plan = collected.sums(segments, by=("assigned_to_id",), branch=filters.branch, employee=filters.employee)
    return [(agent, amount) for (_key, agent), amount in by_agent.items()]


def agents(*, filters: ReportFilters) -> pd.DataFrame:
    """Per agent: open accounts assigned now (and their balance); in the
    range, contacts made, right-party contacts, promises recorded, completed
    payments credited to them (their debt's assignee on the last snapshot on
    or before the payment's day), calls placed (reached the provider) and
    completed. Five grouped reads, joined in pandas."""
    start, end = _local_bounds(filters)
    parts = [
        _frame([{"agent_id": r["agent"], "accounts_assigned": r["n"], "outstanding_assigned": r["balance"]} for r in (
            Debt.objects.order_by().filter(_debt_filter(filters, prefix=""), status__in=OPEN_STATUSES)
            .values(agent=_group_key("assigned_to_id")).annotate(n=Count("id"), balance=_money_sum("current_balance"))
        )], ["agent_id", "accounts_assigned", "outstanding_assigned"]),
        _frame([{"agent_id": r["agent"], "contacts": r["n"], "right_party_contacts": r["rpc"]} for r in (
            CommunicationLog.objects.order_by().filter(_debt_filter(filters), timestamp__gte=start, timestamp__lt=end)
            .values(agent=_group_key("agent_user_id")).annotate(n=Count("id"), rpc=Count("id", filter=Q(outcome__in=RIGHT_PARTY_OUTCOMES)))
        )], ["agent_id", "contacts", "right_party_contacts"]),
        _frame([{"agent_id": r["agent"], "promises": r["n"]} for r in (
            PromiseToPay.objects.order_by().filter(_debt_filter(filters), created_at__gte=start, created_at__lt=end)
            .values(agent=_group_key("created_by_id")).annotate(n=Count("id"))
        )], ["agent_id", "promises"]),
        _frame([{"agent_id": agent, "amount_collected": amount} for agent, amount in _collected_by_assignee(filters)],
               ["agent_id", "amount_collected"]),
        _frame([{"agent_id": r["agent"], "calls_placed": r["placed"], "calls_completed": r["completed"]} for r in (
            CallSession.objects.order_by().filter(_debt_filter(filters), created_at__gte=start, created_at__lt=end)
            .values(agent=_group_key("triggered_by_id"))
            .annotate(placed=Count("id", filter=Q(initiated_at__isnull=False)), completed=Count("id", filter=Q(status=CallStatus.COMPLETED)))
        )], ["agent_id", "calls_placed", "calls_completed"]),
    ]
    # No "agent is not null" in the queries: on the big tables that condition
    # makes MariaDB walk the agent index row by row; the rows without an
    # agent (system contacts, unassigned debts) are one group, dropped here.
    merged = _frame([], ["agent_id"])
    for part in parts:
        part = part[part["agent_id"].notna()]
        merged = merged.merge(part, on="agent_id", how="outer")
    merged = merged.reindex(columns=AGENT_COLUMNS)
    for column in AGENT_COLUMNS[1:]:
        fill = ZERO if column in ("outstanding_assigned", "amount_collected") else 0
        merged[column] = merged[column].astype(object).where(merged[column].notna(), fill)
    return merged.astype(object).reset_index(drop=True)


# --- Statements -----------------------------------------------------------------

STATEMENT_COLUMNS = ["provider", "month", "statements", "flagged", "scored", "risk_score_total"]
REASON_COLUMNS = ["provider", "reason", "statements"]


def _statements(filters: ReportFilters):
    start, end = _local_bounds(filters)
    qs = Statement.objects.order_by().filter(created_at__gte=start, created_at__lt=end)
    if filters.provider:
        qs = qs.filter(acc_prvdr_code=filters.provider)
    return qs


def statements(*, filters: ReportFilters) -> pd.DataFrame:
    """Statements imported in the range per provider and month (TIME_ZONE):
    count, flagged, how many carry a risk score and the scores' total (the
    average is total ÷ scored)."""
    rows = (
        _statements(filters).annotate(month=TruncMonth("created_at"))
        .values("acc_prvdr_code", "month")
        .annotate(statements=Count("id"), flagged=Count("id", filter=Q(status=StatementStatus.FLAGGED)),
                  scored=Count("summary__risk_score"), risk_score_total=Coalesce(Sum("summary__risk_score"), Value(0)))
    )
    return _frame(
        [{"provider": r["acc_prvdr_code"] or "", "month": r["month"].date() if isinstance(r["month"], datetime) else r["month"],
          "statements": r["statements"], "flagged": r["flagged"], "scored": r["scored"], "risk_score_total": r["risk_score_total"]}
         for r in rows],
        STATEMENT_COLUMNS,
    )


def statement_reasons(*, filters: ReportFilters) -> pd.DataFrame:
    """How many statements (per provider) name each risk reason code; a
    statement naming a code twice counts once."""
    counts: dict[tuple[str, str], int] = {}
    summaries = (
        StatementSummary.objects.order_by().filter(statement__in=_statements(filters).values("id"), risk_score__isnull=False)
        .values_list("acc_prvdr_code", "risk_reasons")
    )
    for provider, reasons in summaries.iterator(chunk_size=5000):
        codes = {str(r.get("code") or "unknown")[:64] for r in reasons or () if isinstance(r, dict)}
        for code in codes:
            counts[(provider or "", code)] = counts.get((provider or "", code), 0) + 1
    return _frame([{"provider": p, "reason": c, "statements": n} for (p, c), n in sorted(counts.items())], REASON_COLUMNS)
