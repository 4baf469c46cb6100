"""The ops dashboard page (seed 003): server-rendered, filtered with htmx."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from calls import selectors, services
from calls.calling_hours import customer_zone
from calls.choices import DashboardCallState, DashboardPeriod
from core.sorting import sort_links as core_sort_links

PAGE_SIZE = 50
BADGE_CLASS = {"ready": "info", "waiting": "", "calling": "warn", "completed": "ok", "failed": "bad"}
# Columns the loan-book table sorts by (calls.selectors.DASHBOARD_SORTS keys), with their headers.
SORT_COLUMNS = {
    "name": "Name", "call": "Call status", "dpd": "DPD", "outstanding": "Outstanding", "due": "Due", "due_date": "Due date",
    "branch": "Branch", "employee": "Employee", "principal": "Principal", "uploaded": "Uploaded", "last_contact": "Last contact",
}


def _filters(request: HttpRequest) -> dict:
    period = request.GET.get("period", "")
    status = request.GET.get("status", "")
    return {
        "period": period if period in DashboardPeriod.values else "",
        "status": status if status in DashboardCallState.values else "",
        "search": request.GET.get("search", "").strip()[:100],
        "branch": request.GET.get("branch", "").strip()[:200],
        "employee": request.GET.get("employee", "").strip()[:200],
        "mine": "1" if request.GET.get("mine") in ("1", "on", "true") else "",
        "sort": selectors.dashboard_sort(request.GET.get("sort")),
    }


def _selector_filters(request: HttpRequest, filters: dict) -> dict:
    return {
        "search": filters["search"], "branch": filters["branch"], "employee": filters["employee"],
        "assigned_to_id": request.user.pk if filters["mine"] else None,
    }


def _decorate(customer) -> None:
    customer.badge = BADGE_CLASS[customer.call_state]
    customer.first_loan = customer.loans[0] if customer.loans else None
    customer.worst_loan = max(customer.loans, key=lambda d: (d.days_past_due, d.current_balance)) if customer.loans else None
    customer.waits_until = customer.latest_call_scheduled_for if customer.call_state == "waiting" else None


def _table_context(request: HttpRequest, filters: dict) -> dict:
    now = timezone.now()
    qs = selectors.dashboard_customers(
        period=filters["period"] or None, status=filters["status"] or None, sort=filters["sort"], now=now,
        **_selector_filters(request, filters),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for customer in page.object_list:
        _decorate(customer)
    base = {k: v for k, v in filters.items() if v and k != "sort"}
    query = urlencode({**base, "sort": filters["sort"]})
    sort_links = core_sort_links(base, filters["sort"], SORT_COLUMNS)
    return {"page": page, "filters": filters, "query": query, "sort_links": sort_links, "can_call": request.user.has_perm("calls.trigger_call")}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    filters = _filters(request)
    context = _table_context(request, filters)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "loan-book":
        return render(request, "calls/_loan_book.html", context)
    context.update(
        nav="dashboard",
        periods=DashboardPeriod.choices,
        states=DashboardCallState.choices,
        counts=selectors.dashboard_state_counts(period=filters["period"] or None, **_selector_filters(request, filters)),
        choices=selectors.dashboard_filter_choices(),
        charts=selectors.call_charts(days=14) if request.user.has_perm("calls.view_callsession") else None,
    )
    return render(request, "calls/dashboard.html", context)


def call_placed_text(session) -> tuple[str, str]:
    """What "Call now" answers: when the call will actually be placed, in the customer's local time."""
    when = session.scheduled_for
    if when and when > timezone.now() + timedelta(seconds=30):
        local = timezone.localtime(when, customer_zone(session.customer.timezone))
        day = "" if local.date() == timezone.localtime(timezone.now(), local.tzinfo).date() else f"{local:%a %d %b} "
        return f"Call #{session.pk} waits until {day}{local:%H:%M} (outside calling hours)", "waiting"
    return f"Call #{session.pk} scheduled: placing it now", "warn"


@login_required
@require_POST
def call_customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    if not request.user.has_perm("calls.trigger_call"):
        raise PermissionDenied
    debt_id = request.POST.get("debt", "")
    try:
        # The row's loan goes with the call, so the call carries the loan's
        # branch and employee (the dashboard's charts group by them).
        session = services.call_session_create(
            customer_id=customer_id, debt_id=int(debt_id) if debt_id.isdigit() else None, triggered_by=request.user
        )
        text, css = call_placed_text(session)
    except services.CallNotAllowed as exc:
        text, css = str(exc), "bad"
    if request.headers.get("HX-Request"):
        if css == "bad" or request.POST.get("fragment") != "row":
            return HttpResponse(f'<span class="badge {css}" role="status">{_escape(text)}</span>')
        # The whole row again: the badge moves from "ready" to waiting/calling at once.
        now = timezone.now()
        customer = selectors.dashboard_customers(now=now).filter(pk=customer_id).first()
        _decorate(customer)
        context = {"c": customer, "can_call": True, "call_message": text, "call_css": css}
        return render(request, "calls/_loan_book_row.html", context)
    (messages.success if css != "bad" else messages.error)(request, text)
    return redirect("calls-dashboard")


def _escape(text: str) -> str:
    return escape(text)
