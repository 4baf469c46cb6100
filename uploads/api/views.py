from rest_framework import viewsets

from uploads.api.serializers import FileUploadSerializer, UploadRowSerializer
from uploads.filters import FileUploadFilterSet, UploadRowFilterSet
from uploads.models import FileUpload, UploadRow


class FileUploadViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FileUpload.objects.all()
    serializer_class = FileUploadSerializer
    filterset_class = FileUploadFilterSet
    ordering_fields = ["uploaded_at", "id"]


class UploadRowViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = UploadRow.objects.all()
    serializer_class = UploadRowSerializer
    filterset_class = UploadRowFilterSet
    ordering_fields = ["line_number", "id"]
