import django_filters

from uploads.models import FileUpload, UploadRow


class FileUploadFilterSet(django_filters.FilterSet):
    uploaded_after = django_filters.IsoDateTimeFilter(field_name="uploaded_at", lookup_expr="gte")

    class Meta:
        model = FileUpload
        fields = ["status", "sha256", "uploaded_by"]


class UploadRowFilterSet(django_filters.FilterSet):
    class Meta:
        model = UploadRow
        fields = ["file_upload", "status", "match_method", "matched_customer", "matched_debt", "phone_normalized"]
