"""The ops dashboard page (seed 003): server-rendered, filtered with htmx."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from calls import selectors, services
from calls.choices import DashboardCallState, DashboardPeriod

PAGE_SIZE = 50
BADGE_CLASS = {"ready": "info", "calling": "warn", "completed": "ok", "failed": "bad"}


def _filters(request: HttpRequest) -> dict:
    period = request.GET.get("period", "")
    status = request.GET.get("status", "")
    return {
        "period": period if period in DashboardPeriod.values else "",
        "status": status if status in DashboardCallState.values else "",
        "search": request.GET.get("search", "").strip()[:100],
    }


def _table_context(request: HttpRequest, filters: dict) -> dict:
    qs = selectors.dashboard_customers(period=filters["period"] or None, status=filters["status"] or None, search=filters["search"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for customer in page.object_list:
        customer.badge = BADGE_CLASS[customer.call_state]
        customer.first_loan = customer.loans[0] if customer.loans else None
    query = urlencode({k: v for k, v in filters.items() if v})
    return {"page": page, "filters": filters, "query": query, "can_call": request.user.has_perm("calls.trigger_call")}


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
        counts=selectors.dashboard_state_counts(period=filters["period"] or None),
        charts=selectors.call_charts(days=14) if request.user.has_perm("calls.view_callsession") else None,
    )
    return render(request, "calls/dashboard.html", context)


@login_required
@require_POST
def call_customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    if not request.user.has_perm("calls.trigger_call"):
        raise PermissionDenied
    try:
        session = services.call_session_create(customer_id=customer_id, triggered_by=request.user)
        text, css = f"Call #{session.pk} scheduled", "warn"
    except services.CallNotAllowed as exc:
        text, css = str(exc), "bad"
    if request.headers.get("HX-Request"):
        return HttpResponse(f'<span class="badge {css}">{_escape(text)}</span>')
    (messages.success if css != "bad" else messages.error)(request, text)
    return redirect("calls-dashboard")


def _escape(text: str) -> str:
    return escape(text)
