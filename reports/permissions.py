"""The one rule for every door of the reports (page, API, Excel)."""
from __future__ import annotations

from rest_framework.permissions import BasePermission

VIEW_REPORTS = "reports.view_reports"


def can_view_reports(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VIEW_REPORTS))


class CanViewReports(BasePermission):
    message = f"Reports need the {VIEW_REPORTS} permission."

    def has_permission(self, request, view):
        return can_view_reports(request.user)
