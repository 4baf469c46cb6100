"""Statements API: list/detail with filters, a statement's transactions,
uploads as import jobs, streaming CSV downloads and cross-provider analytics.

Uploads go through ``statements.services`` (the same service the admin, the
inbox and ``import_statements`` use); nothing here writes directly. The
verdict is read-only; a person's decision beside it is
``POST /api/v1/statements/{id}/review/`` (``statements.review_statement``).
Every transaction-level read needs ``statements.permissions.TRANSACTION_READ``.
"""
from django.db.models import F
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core.permissions import ModelPermissions
from statements import analytics, exports, permissions
from statements.api.serializers import (
    ProcessedTransactionSerializer,
    RawTransactionSerializer,
    StatementAnalyticsSerializer,
    StatementDetailSerializer,
    StatementImportSerializer,
    StatementReviewCreateSerializer,
    StatementReviewSerializer,
    StatementSerializer,
    StatementUploadSerializer,
)
from statements.choices import ImportTrigger
from statements.filters import (
    ProcessedTransactionFilterSet,
    RawTransactionFilterSet,
    StatementFilterSet,
    StatementImportFilterSet,
)
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport
from statements.services import statement_import_job_create, statement_review_record


class CanReadTransactions(ModelPermissions):
    """The model's view permission and, for any transaction-level read,
    ``statements.download_statement`` (the same as the CSV downloads)."""

    message = f"Reading statement transactions needs the {permissions.TRANSACTION_READ} permission."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and permissions.can_read_transactions(request.user)


class CanReview(BasePermission):
    message = f"Recording a review decision needs the {permissions.REVIEW} permission."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("statements.view_statement") and permissions.can_review(user))


@extend_schema_view(
    list=extend_schema(summary="Statements, filtered (provider, account, status, verification, tampering, risk score, dates, RM, cust_id); ?ordering=-risk_score"),
    retrieve=extend_schema(summary="A statement: metadata, verification summary and borrower context"),
)
class StatementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Statement.objects.select_related("summary")
    filterset_class = StatementFilterSet
    search_fields = ["run_id", "acc_number", "file_name", "customer_name", "cust_id"]
    ordering_fields = [
        "created_at", "acc_number", "num_rows", "id", "period_start", "period_end", "status", "acc_prvdr_code",
        "summary__duplicate_count", "summary__balance_diff_change_ratio", "summary__tampering_level", "risk_score",
    ]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if self.action == "retrieve":
            return Statement.objects.select_related("summary", "customer_details").prefetch_related("reviews__reviewed_by")
        # ``?ordering=-risk_score``: the summary's score under the list's name for it.
        return super().get_queryset().annotate(risk_score=F("summary__risk_score"))

    def get_serializer_class(self):
        if self.action == "retrieve":
            return StatementDetailSerializer
        if self.action == "create":
            return StatementUploadSerializer
        if self.action == "review":
            return StatementReviewCreateSerializer
        return StatementSerializer

    @extend_schema(
        request={"multipart/form-data": StatementUploadSerializer},
        responses={202: StatementImportSerializer},
        summary="Upload statement files: starts an import job (202); follow it at /api/v1/statement-imports/{id}/",
    )
    def create(self, request, *args, **kwargs):
        serializer = StatementUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = statement_import_job_create(
            files=serializer.validated_data["files"],
            trigger=ImportTrigger.API,
            started_by=request.user,
            provider=serializer.validated_data.get("provider") or "",
            run_id=serializer.validated_data.get("run_id") or "",
        )
        job.refresh_from_db()
        return Response(StatementImportSerializer(job).data, status=status.HTTP_202_ACCEPTED, headers={"Location": f"/api/v1/statement-imports/{job.pk}/"})

    @extend_schema(responses=RawTransactionSerializer(many=True), filters=False, summary="A statement's transactions as read from the file")
    @action(detail=True, methods=["get"], url_path="raw-transactions", filter_backends=[], permission_classes=[CanReadTransactions])
    def raw_transactions(self, request, pk=None):
        statement = self.get_object()
        return self._paged(RawTransaction.objects.filter(statement=statement).order_by("row_number", "id"), RawTransactionSerializer)

    @extend_schema(responses=ProcessedTransactionSerializer(many=True), filters=False, summary="A statement's transactions after verification")
    @action(detail=True, methods=["get"], url_path="processed-transactions", filter_backends=[], permission_classes=[CanReadTransactions])
    def processed_transactions(self, request, pk=None):
        statement = self.get_object()
        return self._paged(ProcessedTransaction.objects.filter(statement=statement).order_by("sequence", "id"), ProcessedTransactionSerializer)

    @extend_schema(
        request=StatementReviewCreateSerializer,
        responses={201: StatementReviewSerializer, 400: OpenApiResponse(OpenApiTypes.OBJECT, description="Blank note or unknown decision")},
        filters=False,
        summary="Record a review decision (accept, reject, escalate) with a note, beside the engine's verdict (never changing it)",
    )
    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[CanReview])
    def review(self, request, pk=None):
        statement = self.get_object()
        serializer = StatementReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = statement_review_record(
            statement_id=statement.pk,
            decision=serializer.validated_data["decision"],
            note=serializer.validated_data["note"],
            reviewed_by=request.user,
        )
        return Response(StatementReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    def _paged(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(responses=StatementAnalyticsSerializer, filters=True, summary="Cross-provider analytics over the filtered statements (seed 004)",
                   parameters=[OpenApiParameter("limit", int, description="Most multi-provider accounts listed (default 100, at most 1000)")])
    @action(detail=False, methods=["get"], pagination_class=None)
    def analytics(self, request):
        statements = self.filter_queryset(Statement.objects.all())
        try:
            limit = max(1, min(int(request.query_params.get("limit", 100)), 1000))
        except ValueError:
            limit = 100
        total, accounts = analytics.multi_provider_accounts(statements, limit=limit)
        data = {
            "providers": analytics.provider_totals(statements),
            "multi_provider_account_count": total,
            "multi_provider_accounts": accounts,
        }
        return Response(StatementAnalyticsSerializer(data).data)


class RawTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RawTransaction.objects.all()
    permission_classes = [CanReadTransactions]
    serializer_class = RawTransactionSerializer
    filterset_class = RawTransactionFilterSet
    ordering_fields = ["row_number", "txn_date", "id"]


class ProcessedTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ProcessedTransaction.objects.all()
    permission_classes = [CanReadTransactions]
    serializer_class = ProcessedTransactionSerializer
    filterset_class = ProcessedTransactionFilterSet
    ordering_fields = ["sequence", "txn_date", "id"]


@extend_schema_view(
    list=extend_schema(summary="Import jobs (every upload, inbox scan and import command)"),
    retrieve=extend_schema(summary="An import job: status, progress, counts and per-file outcome"),
)
class StatementImportViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = StatementImport.objects.select_related("started_by")
    serializer_class = StatementImportSerializer
    filterset_class = StatementImportFilterSet
    ordering_fields = ["created_at", "id"]


class CSVRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``Accept: text/csv``; the CSV itself is streamed
    by the view, only error bodies pass through here (as JSON text)."""

    media_type = "text/csv"
    format = "csv"  # ?format=csv works as well as Accept: text/csv
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data, accepted_media_type, renderer_context)


class TransactionDownloadView(generics.GenericAPIView):
    """Stream every raw or processed transaction of the filtered statements
    as CSV (needs ``statements.download_statement``)."""

    kind = "processed"
    queryset = Statement.objects.all()
    filter_backends = [DjangoFilterBackend]
    filterset_class = StatementFilterSet
    pagination_class = None
    permission_classes = [CanReadTransactions]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        direct, needs_statements = exports.split_filters(filterset.form.cleaned_data)
        content = exports.transactions_csv(self.kind, transaction_filters=direct, statements=filterset.qs if needs_statements else None)
        response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.download_file_name(self.kind, filterset.form.cleaned_data)}"'
        response["Cache-Control"] = "no-store"
        return response


_DOWNLOAD_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, header row first, streamed"),
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="A filter value is not valid"),
}


@extend_schema(responses=_DOWNLOAD_RESPONSES, filters=True, summary="Download raw transactions as CSV, filtered like the statements list")
class RawDownloadView(TransactionDownloadView):
    kind = "raw"


@extend_schema(responses=_DOWNLOAD_RESPONSES, filters=True, summary="Download processed transactions as CSV, filtered like the statements list")
class ProcessedDownloadView(TransactionDownloadView):
    kind = "processed"
