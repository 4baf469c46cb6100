"""The ``/statements/`` pages for ops: a filterable list and a statement's
detail with its transactions and a balance chart.

The detail shows the engine's verdict and, beside it, the latest review
decision people recorded. Its transactions and balance chart are a
transaction-level read: only for ``statements.permissions.TRANSACTION_READ``.

Server-rendered; htmx swaps the table (filters, pagination) without a full
page load, and the same URL renders the whole page for a normal request, so
every filtered view can be bookmarked.
"""
from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from statements import permissions
from statements.choices import Provider, ReviewDecision, StatementStatus, TamperingLevel, VerificationStatus
from statements.filters import StatementFilterSet
from statements.models import ProcessedTransaction, Statement

PAGE_SIZE = 50
TXN_PAGE_SIZE = 100
# Points drawn on the balance chart: enough to see every jump, few enough
# that a 100,000-row statement does not ship megabytes of JSON.
CHART_MAX_POINTS = 1500
# Review decisions listed on the page (newest first).
REVIEWS_SHOWN = 10

STATUS_BADGES = {
    StatementStatus.VERIFIED: "ok",
    StatementStatus.VERIFIED_WITH_WARNINGS: "warn",
    StatementStatus.FLAGGED: "bad",
    StatementStatus.IMPORT_FAILED: "fatal",
    StatementStatus.IMPORTED: "info",
}
REVIEW_BADGES = {
    ReviewDecision.ACCEPT: "ok",
    ReviewDecision.ESCALATE: "warn",
    ReviewDecision.REJECT: "bad",
}
TAMPERING_BADGES = {
    TamperingLevel.NO_ISSUES: "ok",
    TamperingLevel.WARNING: "warn",
    TamperingLevel.CRITICAL: "bad",
    TamperingLevel.FATAL: "fatal",
}


class _StatementsPage(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "statements.view_statement"
    # Logged in without the permission: a 403, not a login loop.
    raise_exception = False

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            raise PermissionDenied
        return super().handle_no_permission()


class StatementListView(_StatementsPage):
    template_name = "statements/list.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request") and self.request.headers.get("HX-Target") == "statements-table":
            return ["statements/_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = StatementFilterSet(self.request.GET, queryset=Statement.objects.select_related("summary").order_by("-created_at", "-id"))
        queryset = filterset.qs if filterset.is_valid() else Statement.objects.none()
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        rows = [
            {
                "statement": s,
                "summary": getattr(s, "summary", None),
                "status_badge": STATUS_BADGES.get(s.status, ""),
                "tampering_badge": TAMPERING_BADGES.get(getattr(getattr(s, "summary", None), "tampering_level", ""), ""),
            }
            for s in page.object_list
        ]
        context.update(
            nav="statements",
            page=page,
            rows=rows,
            filter_errors=filterset.errors,
            query=params.urlencode(),
            selected=self.request.GET,
            providers=Provider.choices,
            statuses=StatementStatus.choices,
            tampering_levels=TamperingLevel.choices,
            verification_statuses=VerificationStatus.choices,
        )
        return context


class StatementDetailView(_StatementsPage):
    template_name = "statements/detail.html"

    def _wants_transactions(self) -> bool:
        return bool(self.request.headers.get("HX-Request") and self.request.headers.get("HX-Target") == "transactions")

    def get_template_names(self):
        if self._wants_transactions():
            return ["statements/_transactions.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = get_object_or_404(Statement.objects.select_related("summary", "customer_details", "import_job"), pk=kwargs["pk"])
        summary = getattr(statement, "summary", None)
        can_read = permissions.can_read_transactions(self.request.user)
        if self._wants_transactions() and not can_read:
            raise PermissionDenied
        reviews = list(statement.reviews.select_related("reviewed_by")[:REVIEWS_SHOWN])
        context.update(
            nav="statements",
            statement=statement,
            summary=summary,
            details=statement.customer_details,
            status_badge=STATUS_BADGES.get(statement.status, ""),
            tampering_badge=TAMPERING_BADGES.get(getattr(summary, "tampering_level", ""), ""),
            reviews=reviews,
            latest_review=reviews[0] if reviews else None,
            review_badge=REVIEW_BADGES.get(reviews[0].decision, "") if reviews else "",
            can_read_transactions=can_read,
        )
        if can_read:
            transactions = ProcessedTransaction.objects.filter(statement=statement).order_by("sequence", "id")
            context.update(
                page=Paginator(transactions, TXN_PAGE_SIZE).get_page(self.request.GET.get("page")),
                chart=balance_chart_points(statement.pk, statement.num_rows or (summary.num_rows if summary else 0)),
            )
        return context


def balance_chart_points(statement_id: int, row_count: int) -> dict:
    """Calculated vs stated balance over time, at most CHART_MAX_POINTS points
    (every n-th row, plus every row where the two disagree so a break in
    the balance is never sampled away)."""
    step = max(1, -(-row_count // CHART_MAX_POINTS)) if row_count else 1
    labels, stated, calculated = [], [], []
    rows = (
        ProcessedTransaction.objects.filter(statement_id=statement_id)
        .order_by("sequence", "id")
        .values_list("sequence", "txn_date", "balance", "calculated_running_balance", "balance_diff")
    )
    last_diff = None
    for position, (_, when, balance, calc, diff) in enumerate(rows.iterator(chunk_size=5000)):
        changed = diff is not None and last_diff is not None and abs(diff - last_diff) > 0.01
        last_diff = diff if diff is not None else last_diff
        if position % step and not changed:
            continue
        labels.append(when.isoformat() if when else "")
        stated.append(float(balance) if balance is not None else None)
        calculated.append(float(calc) if calc is not None else None)
    return {"labels": labels, "stated": stated, "calculated": calculated}
