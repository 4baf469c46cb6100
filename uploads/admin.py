from django.contrib import admin

from core.admin import HugeTableAdmin
from uploads.models import FileUpload, UploadRow


class UploadRowInline(admin.TabularInline):
    model = UploadRow
    extra = 0
    fields = ("line_number", "status", "match_method", "phone_normalized", "matched_customer", "matched_debt", "error")
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    max_num = 0
    ordering = ("line_number",)

    def get_queryset(self, request):
        # A loan book can have 100,000 rows; the inline shows the first page
        # only, the rows changelist (filtered by upload) shows the rest.
        return super().get_queryset(request).select_related("matched_customer", "matched_debt")


@admin.register(FileUpload)
class FileUploadAdmin(admin.ModelAdmin):
    list_display = ("filename", "status", "uploaded_by", "uploaded_at", "total_records", "processed_records", "success_records", "failed_records", "skipped_records")
    list_filter = ("status",)
    search_fields = ("filename", "sha256")
    list_select_related = ("uploaded_by",)
    readonly_fields = ("sha256", "file_size", "uploaded_at", "started_at", "completed_at", "total_records", "processed_records",
                       "success_records", "failed_records", "skipped_records", "customers_created", "customers_matched",
                       "debts_created", "debts_updated", "duplicate_of", "processing_errors")
    date_hierarchy = "uploaded_at"


@admin.register(UploadRow)
class UploadRowAdmin(HugeTableAdmin):
    list_display = ("file_upload", "line_number", "status", "match_method", "phone_normalized", "matched_customer", "matched_debt", "error")
    list_filter = ("status", "match_method")
    search_fields = ("phone_normalized", "row_fingerprint")
    list_select_related = ("file_upload", "matched_customer", "matched_debt")
    raw_id_fields = ("file_upload", "matched_customer", "matched_debt")
