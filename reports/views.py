"""The reports page (``/reports/``): filters, one chart and table per
report, and an Excel link for each. The page itself holds no figures: its
script reads them from the reports API with the page's own filters, so the
page, the API and the workbook show the same numbers."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from reports.choices import Period, Report
from reports.filters import parse_filters
from reports.permissions import can_view_reports
from statements.choices import Provider


@login_required
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    if not can_view_reports(request.user):
        raise PermissionDenied
    errors = {}
    try:
        filters = parse_filters(request.GET)
    except ValidationError as exc:
        errors = exc.message_dict
        filters = parse_filters({})
    query = {k: v for k, v in filters.as_dict().items() if v}
    reports = []
    for value, label in Report.choices:
        params = dict(query)
        if value == Report.ROLL_RATES:
            params["months"] = request.GET.get("months", "6") if request.GET.get("months", "6").isdigit() else "6"
        if value == Report.COLLECTION_EFFICIENCY:
            params["period"] = request.GET.get("period") if request.GET.get("period") in Period.values else Period.MONTH
        url = reverse(f"api:report-{value}")
        reports.append({"key": value, "label": label, "url": f"{url}?{urlencode(params)}",
                        "xlsx": f"{url}?{urlencode({**params, 'format': 'xlsx'})}"})
    return render(request, "reports/index.html", {
        "nav": "reports", "filters": filters, "errors": errors, "reports": reports, "providers": Provider.values,
        "periods": Period.choices, "period": request.GET.get("period", Period.MONTH), "months": request.GET.get("months", "6"),
    })
