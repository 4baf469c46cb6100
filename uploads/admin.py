import csv

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import slugify
from simple_history.admin import SimpleHistoryAdmin

from core.admin import HugeTableAdmin, ReadOnlyAdminMixin, validation_messages
from core.admin_search import PhoneSearchAdminMixin
from uploads import selectors, services
from uploads.choices import Decision, RowStatus, UploadStatus
from uploads.models import FileUpload, UploadRow, UploadRowReview


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


class LoanBookUploadForm(forms.Form):
    file = forms.FileField(
        label="Loan book", help_text=f"CSV (comma or semicolon, any common encoding) or XLSX, at most {settings.MAX_UPLOAD_SIZE // (1024 * 1024)} MB."
    )
    phone_region = forms.RegexField(
        regex=r"^[A-Za-z]{2}$", required=False, initial=settings.PHONE_DEFAULT_REGION, max_length=2,
        help_text="Country for phone numbers written without a country code (e.g. UG, KE, IN).",
    )


class _Echo:
    def write(self, value):
        return value


def _csv_stream(table):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so Excel opens the UTF-8 export with the right characters
    for line in table:
        yield writer.writerow(line)


@admin.register(FileUpload)
class FileUploadAdmin(admin.ModelAdmin):
    list_display = ("filename", "status", "progress", "uploaded_by", "uploaded_at", "total_records", "success_records",
                    "failed_records", "skipped_records")
    list_filter = ("status",)
    search_fields = ("filename", "sha256")
    list_select_related = ("uploaded_by",)
    date_hierarchy = "uploaded_at"
    actions = ["download_failed_rows", "resume_processing"]  # calls adds "Call now"
    fieldsets = (
        (None, {"fields": ("filename", "status", "links", "uploaded_by", "uploaded_by_label", "uploaded_at", "duplicate_of")}),
        ("Counts", {"fields": ("total_records", "processed_records", "success_records", "failed_records", "skipped_records",
                               "review_records", "customers_created", "customers_matched", "debts_created", "debts_updated")}),
        ("Processing", {"fields": ("started_at", "completed_at", "processing_errors", "last_line_number", "may_sync_balances")}),
        ("File", {"fields": ("file", "sha256", "file_size", "file_format", "encoding", "delimiter", "headers", "phone_region")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Every field is the record of what happened; only services write them.
        return [f.name for f in FileUpload._meta.fields] + ["links"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:upload_id>/progress/", wrap(self.progress_view), name="uploads_fileupload_progress"),
            path("<int:upload_id>/progress/fragment/", wrap(self.progress_fragment_view), name="uploads_fileupload_progress_fragment"),
            path("<int:upload_id>/failed-rows.csv", wrap(self.failed_rows_view), name="uploads_fileupload_failed_rows"),
            *super().get_urls(),
        ]

    @admin.display(description="Progress")
    def progress(self, obj):
        return format_html('<a href="{}">{}%</a>', reverse("admin:uploads_fileupload_progress", args=[obj.pk]), obj.progress_percent)

    @admin.display(description="Links")
    def links(self, obj):
        if not obj or not obj.pk:
            return "-"
        rows = reverse("admin:uploads_uploadrow_changelist") + f"?file_upload__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">Progress</a> · <a href="{}">All lines</a> · <a href="{}">Waiting for review</a> · <a href="{}">Failed lines</a> · '
            '<a href="{}">Failed lines as CSV</a>',
            reverse("admin:uploads_fileupload_progress", args=[obj.pk]), rows, rows + "&status__exact=needs_review", rows + "&status__exact=failed",
            reverse("admin:uploads_fileupload_failed_rows", args=[obj.pk]),
        )

    # --- the upload form ---------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LoanBookUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                upload = services.file_upload_create(
                    fileobj=upload_file, filename=upload_file.name, uploaded_by=request.user,
                    content_type=upload_file.content_type, phone_region=form.cleaned_data.get("phone_region") or None,
                )
            except services.UploadRejected as exc:
                form.add_error("file", str(exc))
            else:
                if upload.duplicate_of_id:
                    messages.warning(request, f"This file was uploaded before (upload #{upload.duplicate_of_id}); lines imported then will be skipped.")
                messages.success(request, f"{upload.filename} received; it is being imported.")
                return redirect("admin:uploads_fileupload_progress", upload.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload a loan book",
            "form": form,
            "columns": "name, phone, loan_id, amount, due_date, state, Cluster, Branch, Branch Contact Number, Employee, "
                       "Employee ID, Employee Contact Number, Last Paid Date, Last Paid Amount, Due Amount",
        }
        return TemplateResponse(request, "uploads/admin/upload_form.html", context)

    # --- progress --------------------------------------------------------
    def _upload_for_view(self, request, upload_id):
        upload = get_object_or_404(FileUpload, pk=upload_id)
        if not self.has_view_permission(request, upload):
            raise PermissionDenied
        return upload

    def _progress_context(self, request, upload):
        return {
            "upload": upload,
            "finished": upload.status in (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS, UploadStatus.FAILED),
            "rows_url": reverse("admin:uploads_uploadrow_changelist") + f"?file_upload__id__exact={upload.pk}",
            "failed_csv_url": reverse("admin:uploads_fileupload_failed_rows", args=[upload.pk]),
            "fragment_url": reverse("admin:uploads_fileupload_progress_fragment", args=[upload.pk]),
            "change_url": reverse("admin:uploads_fileupload_change", args=[upload.pk]),
        }

    def progress_view(self, request, upload_id):
        upload = self._upload_for_view(request, upload_id)
        context = {
            **self.admin_site.each_context(request),
            **self._progress_context(request, upload),
            "opts": self.model._meta,
            "title": f"Importing {upload.filename}",
        }
        return TemplateResponse(request, "uploads/admin/progress.html", context)

    def progress_fragment_view(self, request, upload_id):
        upload = self._upload_for_view(request, upload_id)
        return TemplateResponse(request, "uploads/admin/_progress.html", self._progress_context(request, upload))

    # --- failed rows -------------------------------------------------------
    def _failed_rows_response(self, uploads, filename):
        response = StreamingHttpResponse(_csv_stream(selectors.failed_rows_table(uploads=uploads)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def failed_rows_view(self, request, upload_id):
        upload = self._upload_for_view(request, upload_id)
        stem = slugify(upload.filename.rsplit(".", 1)[0]) or "upload"
        return self._failed_rows_response([upload], f"{stem}-{upload.pk}-failed-rows.csv")

    @admin.action(description="Download failed rows as CSV", permissions=["view"])
    def download_failed_rows(self, request, queryset):
        return self._failed_rows_response(list(queryset.order_by("id")), "failed-rows.csv")

    @admin.action(description="Resume processing (interrupted or failed uploads)", permissions=["add"])
    def resume_processing(self, request, queryset):
        resumed = 0
        for upload in queryset:
            try:
                services.file_upload_resume(upload_id=upload.pk)
                resumed += 1
            except services.UploadRejected as exc:
                messages.warning(request, str(exc))
        if resumed:
            messages.success(request, f"{resumed} upload(s) queued to continue after their last committed chunk.")


def _resolve(request, queryset, decision: str) -> None:
    """Apply ``decision`` to each selected line waiting for review, through the service."""
    done = 0
    for row in queryset.filter(status=RowStatus.NEEDS_REVIEW).order_by("file_upload_id", "line_number")[:500]:
        try:
            services.upload_row_resolve(row_id=row.pk, decision=decision, user=request.user)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            text = "; ".join(validation_messages(exc)) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, f"Line {row.line_number} of upload #{row.file_upload_id}: {text}")
    skipped = queryset.exclude(status=RowStatus.NEEDS_REVIEW).count()
    if skipped:
        messages.warning(request, f"{skipped} selected line(s) were not waiting for review and were left alone.")
    if done:
        messages.success(request, f"{done} line(s): {Decision(decision).label.lower()}.")


@admin.register(UploadRow)
class UploadRowAdmin(PhoneSearchAdminMixin, ReadOnlyAdminMixin, HugeTableAdmin):
    # The matched debt's label names its customer (loan · name ··phone tail · balance).
    list_display = ("upload", "line_number", "status", "match_method", "phone_normalized", "matched_debt", "candidate", "error")
    list_filter = ("status", "match_method", "review__kind")
    search_fields = ("phone_normalized", "row_fingerprint")
    # The line's phone however typed (indexed E.164 column; core.admin_search).
    phone_search_fields = ("phone_normalized",)
    list_select_related = ("file_upload", "matched_debt__customer", "review", "review__candidate_customer")
    raw_id_fields = ("file_upload", "matched_customer", "matched_debt")
    actions = ["attach_to_candidate", "create_new_customer", "reject_lines"]  # calls adds "Call now"

    @admin.display(description="Upload", ordering="file_upload")
    def upload(self, obj):
        # The file's name only: its status is on the upload's own page.
        return f"#{obj.file_upload_id} {obj.file_upload.filename}" if obj.file_upload_id else "-"

    @admin.display(description="Review candidate")
    def candidate(self, obj):
        review = getattr(obj, "review", None)
        if review is None or review.candidate_customer is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:customers_customer_change", args=[review.candidate_customer_id]),
            review.candidate_customer,
        )

    def has_resolve_permission(self, request):
        return request.user.has_perm(services.RESOLVE_PERMISSION)

    @admin.action(description="Review: attach to the candidate customer", permissions=["resolve"])
    def attach_to_candidate(self, request, queryset):
        _resolve(request, queryset, Decision.ATTACH)

    @admin.action(description="Review: create a new customer", permissions=["resolve"])
    def create_new_customer(self, request, queryset):
        _resolve(request, queryset, Decision.NEW_CUSTOMER)

    @admin.action(description="Review: reject (apply nothing)", permissions=["resolve"])
    def reject_lines(self, request, queryset):
        _resolve(request, queryset, Decision.REJECT)

    # A line is the record of what the import did with it: who it matched and
    # why. Nobody re-points it by hand (that would move a loan to another
    # customer behind the import's back), so the admin only shows it (ReadOnlyAdminMixin).


@admin.register(UploadRowReview)
class UploadRowReviewAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """The review queue's entries, read-only: decisions are taken on the lines (UploadRow actions) or the API."""

    list_display = ("row", "kind", "candidate_customer", "decision", "decided_by", "decided_at", "created_at")
    list_filter = ("kind", "decision")
    list_select_related = ("row", "candidate_customer", "decided_by")
    raw_id_fields = ("row", "candidate_customer", "candidate_debt", "decided_by")
    exclude = ("values",)
