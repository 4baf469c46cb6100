from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import HugeTableAdmin
from statements import exports, services
from statements.choices import ImportTrigger, Provider
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport, StatementSummary


class StatementSummaryInline(admin.StackedInline):
    model = StatementSummary
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in StatementSummary._meta.fields if f.name not in ("id", "statement")]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ("id", "run_id", "acc_prvdr_code", "acc_number", "format", "status", "num_rows", "cust_id", "rm_name", "created_at")
    list_filter = ("acc_prvdr_code", "status", "format", "summary__verification_status", "summary__tampering_level", "summary__balance_match")
    search_fields = ("run_id", "acc_number", "file_name", "customer_name", "cust_id")
    list_select_related = ("summary",)
    raw_id_fields = ("customer_details", "customer", "import_job")
    readonly_fields = ("file_sha256", "file_size", "parsed_at", "verified_at", "enriched_at", "created_at", "updated_at")
    inlines = [StatementSummaryInline]
    date_hierarchy = "created_at"
    actions = ["reverify", "reprocess", "download_processed", "download_raw"]

    def has_add_permission(self, request):
        # Statements come in through import jobs (Statement imports → Add).
        return False

    def has_reprocess_permission(self, request):
        return request.user.has_perm("statements.reprocess_statement")

    def has_download_permission(self, request):
        return request.user.has_perm("statements.download_statement")

    @admin.action(description="Re-verify from the stored raw rows", permissions=["reprocess"])
    def reverify(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        services.statements_reverify_enqueue(statement_ids=ids)
        self.message_user(request, f"Re-verification of {len(ids)} statement(s) queued.", messages.SUCCESS)

    @admin.action(description="Reprocess: re-verify and fetch customer details again", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        services.statements_reverify_enqueue(statement_ids=ids, enrich=True)
        self.message_user(request, f"Reprocessing of {len(ids)} statement(s) queued.", messages.SUCCESS)

    def _download(self, queryset, kind):
        content = exports.transactions_csv(kind, statements=queryset)
        response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}_statements_selected.csv"'
        return response

    @admin.action(description="Download processed transactions (CSV)", permissions=["download"])
    def download_processed(self, request, queryset):
        return self._download(queryset, "processed")

    @admin.action(description="Download raw transactions (CSV)", permissions=["download"])
    def download_raw(self, request, queryset):
        return self._download(queryset, "raw")


@admin.register(StatementSummary)
class StatementSummaryAdmin(admin.ModelAdmin):
    list_display = ("statement", "acc_prvdr_code", "acc_number", "verification_status", "balance_match", "tampering_level", "duplicate_count", "balance_diff_change_ratio")
    list_filter = ("acc_prvdr_code", "verification_status", "balance_match", "tampering_level")
    search_fields = ("acc_number", "run_id")
    list_select_related = ("statement",)
    raw_id_fields = ("statement",)


@admin.register(RawTransaction)
class RawTransactionAdmin(HugeTableAdmin):
    list_display = ("statement", "row_number", "txn_id", "txn_date", "description", "amount", "fee", "balance", "has_quality_issue")
    list_filter = ("acc_prvdr_code", "has_quality_issue")
    search_fields = ("txn_id", "acc_number")
    list_select_related = ("statement",)
    raw_id_fields = ("statement",)


@admin.register(ProcessedTransaction)
class ProcessedTransactionAdmin(HugeTableAdmin):
    list_display = ("statement", "sequence", "txn_id", "txn_date", "amount", "balance", "calculated_running_balance", "balance_diff", "is_duplicate", "is_special")
    list_filter = ("acc_prvdr_code", "is_duplicate", "is_special", "has_quality_issue")
    search_fields = ("txn_id", "acc_number")
    list_select_related = ("statement",)
    raw_id_fields = ("statement", "raw")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class StatementUploadForm(forms.Form):
    files = MultipleFileField(help_text="One or more statements: Airtel PDF/CSV, MTN xls/xlsx/csv.")
    provider = forms.ChoiceField(choices=[("", "Detect from the file"), *Provider.choices], required=False)
    run_id = forms.CharField(max_length=64, required=False, help_text="The statement request these files belong to (optional).")

    def clean_files(self):
        files = self.cleaned_data["files"]
        too_big = [f.name for f in files if f.size > settings.MAX_UPLOAD_SIZE]
        if too_big:
            raise forms.ValidationError(f"Larger than {settings.MAX_UPLOAD_SIZE} bytes: {', '.join(too_big)}")
        return files


@admin.register(StatementImport)
class StatementImportAdmin(admin.ModelAdmin):
    list_display = ("id", "trigger", "status", "started_by_label", "total_files", "processed_files", "imported_count", "duplicate_count", "failed_count", "created_at")
    list_filter = ("status", "trigger")
    list_select_related = ("started_by",)
    readonly_fields = (
        "trigger", "status", "started_by", "started_by_label", "provider_hint", "run_id_hint", "total_files", "processed_files",
        "imported_count", "duplicate_count", "failed_count", "error", "file_outcomes", "started_at", "finished_at", "created_at", "updated_at",
    )
    exclude = ("results",)
    actions = ["rerun"]

    def has_change_permission(self, request, obj=None):
        # Jobs are records: readable, never edited by hand.
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(description="Files")
    def file_outcomes(self, obj):
        rows = [
            (
                entry.get("file_name", ""),
                entry.get("outcome", ""),
                reverse("admin:statements_statement_change", args=[entry["statement_id"]]) if entry.get("statement_id") else "#",
                f"#{entry['statement_id']}" if entry.get("statement_id") else "",
                entry.get("error", ""),
            )
            for entry in obj.results
        ]
        return format_html(
            "<table><tr><th>File</th><th>Outcome</th><th>Statement</th><th>Reason</th></tr>{}</table>",
            format_html_join("", '<tr><td>{}</td><td>{}</td><td><a href="{}">{}</a></td><td>{}</td></tr>', rows),
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = services.statement_import_job_create(
                files=form.cleaned_data["files"],
                trigger=ImportTrigger.ADMIN,
                started_by=request.user,
                provider=form.cleaned_data["provider"],
                run_id=form.cleaned_data["run_id"],
            )
            self.message_user(request, f"Import job #{job.pk} started for {job.total_files} file(s).", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:statements_statementimport_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import statements",
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/statements/statementimport/upload.html", context)

    @admin.action(description="Run again (files still pending)", permissions=["add"])
    def rerun(self, request, queryset):
        ids = services.statement_import_jobs_requeue(job_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{len(ids)} job(s) queued again.", messages.SUCCESS)
