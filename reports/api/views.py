"""Reports API: ``GET /api/v1/reports/<report>/`` answers the report's
tables as JSON, or with ``?format=xlsx`` an Excel workbook (one sheet per
table). Every report needs ``reports.view_reports`` and takes the same
filters (``date_from``, ``date_to``, ``branch``, ``employee``, ``provider``)."""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.response import Response
from rest_framework.views import APIView

from debts.api import views as debts_views
from reports import reporting
from reports.api.serializers import ReportSerializer
from reports.choices import Period, Report
from reports.filters import MAX_MONTHS, MAX_TEXT, parse_filters, parse_months, parse_period
from reports.permissions import CanViewReports
from statements.choices import Provider

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XLSXRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``?format=xlsx`` (or the XLSX media type); the
    workbook is written by the view, only error bodies pass through here (as JSON)."""

    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data, accepted_media_type, renderer_context)


FILTER_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day of the range (default: 365 days before date_to)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day of the range (default: today)"),
    OpenApiParameter("branch", str, description=f"Only this branch (at most {MAX_TEXT} characters)"),
    OpenApiParameter("employee", str, description=f"Only this loan-book employee id (at most {MAX_TEXT} characters)"),
    OpenApiParameter("provider", str, enum=Provider.values, description="Only this statement provider (statements report)"),
    OpenApiParameter("format", str, enum=["json", "xlsx"], description="xlsx: an Excel workbook, one sheet per table"),
]
RESPONSES = {
    200: ReportSerializer,
    (200, XLSX_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="With ?format=xlsx: the workbook"),
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="A filter value is not valid"),
}


class ReportView(APIView):
    report: str = ""
    permission_classes = [CanViewReports]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, XLSXRenderer]
    pagination_class = None

    def params(self, request) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        filters = parse_filters(request.query_params)
        result = reporting.build(self.report, filters, self.params(request))
        if getattr(request.accepted_renderer, "format", "") == "xlsx":
            response = HttpResponse(reporting.as_xlsx(result), content_type=XLSX_MEDIA_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{self.report}-{filters.date_from}-{filters.date_to}.xlsx"'
            response["Cache-Control"] = "no-store"
            return response
        return Response(reporting.as_json(result))


def _view(report: str, summary: str, params=None, parse=None, base: type[ReportView] = ReportView) -> type[ReportView]:
    class View(base):  # type: ignore[valid-type, misc]
        def params(self, request) -> dict:
            return parse(request.query_params) if parse else {}

    View.report = report
    View.__name__ = View.__qualname__ = "".join(p.title() for p in report.split("-")) + "ReportView"
    return extend_schema(summary=summary, parameters=[*FILTER_PARAMETERS, *(params or [])], responses=RESPONSES, tags=["reports"])(View)


class _AgingView(ReportView):
    """The portfolio aging report. The older aging answer on this address
    (``group_by``/``cluster``, live from the debts table, ``debts.view_debt``)
    is still given to a request that names either parameter, by the
    collections view itself, with its own permission check."""

    LEGACY_PARAMETERS = ("group_by", "cluster")

    def _legacy(self, request) -> bool:
        return any(name in request.query_params for name in self.LEGACY_PARAMETERS)

    def check_permissions(self, request):
        if self._legacy(request):
            return  # debts' view checks its own permission
        super().check_permissions(request)

    def get(self, request, *args, **kwargs):
        if self._legacy(request):
            return debts_views.AgingReportView.as_view()(request._request)
        return super().get(request, *args, **kwargs)


AgingReportView = _view(
    Report.AGING, "Aging: open debts by days-past-due bucket, by branch and employee (latest snapshot up to date_to)",
    base=_AgingView,
)
RollRatesReportView = _view(
    Report.ROLL_RATES, "Roll rates: month-over-month transitions between buckets, cure and roll-forward rates",
    [OpenApiParameter("months", int, description=f"Month-end snapshots to show (default 6, 1 to {MAX_MONTHS})")],
    lambda q: {"months": parse_months(q)},
)
VintageReportView = _view(Report.VINTAGE, "Vintages: share of principal 30+ and 90+ days past due by disbursement month and month on book")
CollectionEfficiencyReportView = _view(
    Report.COLLECTION_EFFICIENCY, "Collection efficiency: amount collected over amount due per period, by branch and agent",
    [OpenApiParameter("period", str, enum=Period.values, description="week, month (default) or quarter")],
    lambda q: {"period": parse_period(q)},
)
PromisesReportView = _view(Report.PROMISES, "Promises to pay: made, kept, broken, pending; kept rate by agent; promised against paid")
AgentsReportView = _view(Report.AGENTS, "Agents: accounts assigned, contacts, right-party contacts, promises, collected, calls")
StatementsReportView = _view(Report.STATEMENTS, "Statements per provider and month: flagged rate, risk reasons, average risk score")
