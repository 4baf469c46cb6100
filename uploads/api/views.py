from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import holds_any
from uploads import services
from uploads.api.serializers import (
    FileUploadCreateSerializer,
    FileUploadSerializer,
    UploadRowResolveSerializer,
    UploadRowSerializer,
)
from uploads.filters import FileUploadFilterSet, UploadRowFilterSet
from uploads.models import FileUpload, UploadRow


@extend_schema_view(
    list=extend_schema(summary="Loan-book uploads, newest first"),
    retrieve=extend_schema(summary="One upload: status, progress and counts"),
)
class FileUploadViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = FileUpload.objects.all()
    serializer_class = FileUploadSerializer
    filterset_class = FileUploadFilterSet
    ordering_fields = ["uploaded_at", "id"]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if self.action == "rows":
            # The rows of one upload; permissions and filters are the rows' own.
            pk = str(self.kwargs.get("pk"))
            rows = super().get_queryset().select_related("review").order_by("line_number")
            return rows.filter(file_upload_id=int(pk)) if pk.isascii() and pk.isdigit() else rows.none()
        return super().get_queryset()

    @extend_schema(
        summary="Upload a loan book (processed in the background)",
        request=FileUploadCreateSerializer,
        responses={
            202: OpenApiResponse(FileUploadSerializer, description="Accepted; poll GET /uploads/{id}/ for progress"),
            400: OpenApiResponse(description="Too large, wrong type, or not a loan book (the message says which)"),
        },
    )
    def create(self, request, *args, **kwargs):
        form = FileUploadCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload_file = form.validated_data["file"]
        try:
            upload = services.file_upload_create(
                fileobj=upload_file,
                filename=upload_file.name,
                uploaded_by=request.user,
                content_type=upload_file.content_type,
                phone_region=form.validated_data.get("phone_region"),
            )
        except services.UploadRejected as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        location = reverse("api:upload-detail", kwargs={"pk": upload.pk})
        return Response(FileUploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    @extend_schema(summary="The upload's lines, filterable by status (e.g. ?status=failed)", responses=UploadRowSerializer(many=True))
    @action(
        detail=True, methods=["get"], queryset=UploadRow.objects.all(), serializer_class=UploadRowSerializer, filterset_class=UploadRowFilterSet,
        ordering_fields=["line_number", "id"], parser_classes=[],
    )
    def rows(self, request, pk=None):
        get_object_or_404(FileUpload, pk=pk)
        rows = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(UploadRowSerializer(page, many=True).data)


class UploadRowViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = UploadRow.objects.select_related("review")
    serializer_class = UploadRowSerializer
    filterset_class = UploadRowFilterSet
    ordering_fields = ["line_number", "id"]


class UploadRowResolveView(APIView):
    """``POST /api/v1/uploads/rows/{id}/resolve/``: a reviewer's decision on a line waiting for review.

    The service checks the rights (``uploads.resolve_uploadrow``, and
    ``debts.sync_balances`` for a line that moves a balance): 403 without
    them, 400 when the line is not waiting or the decision does not fit.
    """

    permission_classes = [IsAuthenticated, holds_any("uploads.resolve_uploadrow")]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Resolve a line waiting for review: attach it to the candidate, create a new customer, or reject it",
        request=UploadRowResolveSerializer,
        responses={200: UploadRowSerializer, 400: OpenApiResponse(description="Not waiting for review, or the decision does not fit"),
                   403: OpenApiResponse(description="Missing uploads.resolve_uploadrow (or debts.sync_balances)")},
    )
    def post(self, request, pk: int):
        form = UploadRowResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        get_object_or_404(UploadRow, pk=pk)
        row = services.upload_row_resolve(
            row_id=pk, decision=form.validated_data["decision"], user=request.user, note=form.validated_data.get("note", ""),
        )
        return Response(UploadRowSerializer(UploadRow.objects.select_related("review").get(pk=row.pk)).data)
