"""The snapshot rows and their sums, read-only: only
``reports.services.portfolio_snapshot_take`` writes them. Seen by whoever
may see the reports (``reports.view_reports``: ops admins, risk analysts)."""
from __future__ import annotations

from datetime import date

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from core.admin import HugeTableAdmin, ReadOnlyAdminMixin, money_column
from debts.choices import DebtStatus
from reports.models import PortfolioSnapshotRow, PortfolioSummary
from reports.permissions import can_view_reports

# The filters' choices come from the summaries (a few thousand rows a
# date), never from a DISTINCT over millions of snapshot rows.
RECENT_DATES = 120


class SnapshotDateFilter(admin.SimpleListFilter):
    title = "snapshot date"
    parameter_name = "snapshot_date"

    def lookups(self, request, model_admin):
        days = PortfolioSummary.objects.order_by("-snapshot_date").values_list("snapshot_date", flat=True).distinct()[:RECENT_DATES]
        return [(day.isoformat(), day.isoformat()) for day in days]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            day = date.fromisoformat(self.value())
        except ValueError:
            # Not a traceback: the admin sends the list back to itself with ?e=1.
            raise IncorrectLookupParameters(f"{self.value()[:40]!r} is not a date (YYYY-MM-DD).") from None
        return queryset.filter(snapshot_date=day)


class OneSnapshotDateFilter(SnapshotDateFilter):
    """A date is always chosen (the list redirects to the latest): no "All"."""

    def choices(self, changelist):
        return list(super().choices(changelist))[1:]


class BranchFilter(admin.SimpleListFilter):
    title = "branch"
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        branches = PortfolioSummary.objects.order_by("branch").values_list("branch", flat=True).distinct()
        return [(branch, branch or "(none)") for branch in branches]

    def queryset(self, request, queryset):
        return queryset.filter(branch=self.value()) if self.value() is not None else queryset


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return DebtStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class ReportsReaderMixin(ReadOnlyAdminMixin):
    """Visible with ``reports.view_reports`` (the reports' own right), not
    the per-model view permission; never added, changed or deleted."""

    actions = None

    def has_module_permission(self, request):
        return can_view_reports(request.user)

    def has_view_permission(self, request, obj=None):
        return can_view_reports(request.user)


@admin.register(PortfolioSnapshotRow)
class PortfolioSnapshotRowAdmin(ReportsReaderMixin, HugeTableAdmin):
    # The rows have a two-column key (date, debt) that Django's admin cannot
    # address, so there is no page per row: the list shows every column.
    list_display = (
        "snapshot_date", "debt_link", "branch", "employee_id", "employee_name", "assigned_to_id", "status", "days_past_due",
        "bucket", "prev_bucket", "balance_ugx", "due_amount_ugx", "principal_ugx", "issue_date", "months_on_book",
    )
    list_display_links = None
    # Newest date first, read backwards along the key (date, debt): mixing
    # directions, or sorting by another column, would sort millions of rows.
    ordering = ("-snapshot_date", "-debt_id")
    sortable_by = ("snapshot_date", "debt_link")
    # No search and no filter whose choices need a DISTINCT over the table:
    # neither has an index off the date, so each would read every row.
    list_filter = (OneSnapshotDateFilter, BranchFilter, "bucket", "prev_bucket", StatusFilter)

    balance_ugx = staticmethod(money_column("balance", "balance"))
    due_amount_ugx = staticmethod(money_column("due_amount", "due amount"))
    principal_ugx = staticmethod(money_column("principal", "principal"))

    @admin.display(description="debt", ordering="debt_id")
    def debt_link(self, row):
        return format_html('<a href="{}">{}</a>', reverse("admin:debts_debt_change", args=[row.debt_id]), row.debt_id)

    def get_object(self, request, object_id, from_field=None):
        # A debt id is not one row (one per date): no page per row.
        return None

    def changelist_view(self, request, extra_context=None):
        # One date at a time (the latest unless one is chosen): every count
        # and filter then reads one partition, not every date's rows.
        if not self.has_view_permission(request):
            raise PermissionDenied  # before the redirect, which names the latest date
        if SnapshotDateFilter.parameter_name not in request.GET:
            latest = PortfolioSummary.objects.order_by("-snapshot_date").values_list("snapshot_date", flat=True).first()
            if latest is not None:
                query = request.GET.copy()
                query[SnapshotDateFilter.parameter_name] = latest.isoformat()
                return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        return super().changelist_view(request, extra_context)


@admin.register(PortfolioSummary)
class PortfolioSummaryAdmin(ReportsReaderMixin, admin.ModelAdmin):
    list_display = (
        "snapshot_date", "branch", "employee_id", "employee_name", "assigned_to_id", "bucket", "prev_bucket", "disbursement_month",
        "debt_count", "balance_ugx", "principal_ugx", "amount_due_ugx",
    )
    list_filter = (SnapshotDateFilter, BranchFilter, "bucket", "prev_bucket")
    ordering = ("-snapshot_date", "-id")
    search_fields = ("=employee_id",)
    list_per_page = 100

    balance_ugx = staticmethod(money_column("balance", "balance"))
    principal_ugx = staticmethod(money_column("principal", "principal"))
    amount_due_ugx = staticmethod(money_column("amount_due", "amount due"))
