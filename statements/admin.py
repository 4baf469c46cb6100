"""Statements admin.

The engine's verdict (status, verification status, tampering level), the
stated and computed balances and every parsed figure are read-only here: the
statement, its summary and its transactions have no change form, and they
move only through the engine (import, the re-verify and reprocess actions).
A person who disagrees records a review decision ("Record review" on the
statement's page, ``statements.services.statement_review_record``), shown
beside the verdict and never replacing it. Transaction lists need the
transaction-read permission (``statements.permissions``).
"""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin import HugeTableAdmin, ReadOnlyAdminMixin, money_column, validation_messages
from statements import exports, permissions, services
from statements.choices import ImportTrigger, ReviewDecision, provider_hint_choices
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport, StatementReview, StatementSummary


class TransactionReadAdminMixin(ReadOnlyAdminMixin):
    """Transaction lists: read-only, and only for the transaction-read permission."""

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and permissions.can_read_transactions(request.user)


class StatementReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="Why: recorded with your name, never edited.")


class StatementReviewInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Past decisions, newest first: the review history (append-only)."""

    model = StatementReview
    extra = 0
    fields = ("created_at", "decision", "note", "reviewed_by", "statement_status", "verification_status", "tampering_level")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name = "review decision"
    verbose_name_plural = "review decisions (people, beside the engine's verdict)"


class StatementSummaryInline(admin.StackedInline):
    model = StatementSummary
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in StatementSummary._meta.fields if f.name not in ("id", "statement")]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    change_form_template = "admin/statements/statement/change_form.html"
    list_display = ("id", "run_id", "acc_prvdr_code", "acc_number", "format", "status", "num_rows", "cust_id", "rm_name", "created_at")
    list_filter = ("acc_prvdr_code", "status", "format", "summary__verification_status", "summary__tampering_level", "summary__balance_match")
    search_fields = ("run_id", "acc_number", "file_name", "customer_name", "cust_id")
    list_select_related = ("summary",)
    inlines = [StatementSummaryInline, StatementReviewInline]
    date_hierarchy = "created_at"
    actions = ["reverify", "reprocess", "download_processed", "download_raw"]

    def has_add_permission(self, request):
        # Statements come in through import jobs (Statement imports → Add).
        return False

    def has_change_permission(self, request, obj=None):
        # The verdict, balances and parsed figures move only through the
        # engine; the page is a read-only view with "Record review" beside it.
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["verdict", *(f.name for f in Statement._meta.fields)]

    def get_fieldsets(self, request, obj=None):
        rest = [f.name for f in Statement._meta.fields if f.name not in ("id", "status", "failure_reason")]
        return [("Verdict", {"fields": ["verdict", "status", "failure_reason"]}), ("Statement", {"fields": rest})]

    @admin.display(description="Engine's verdict and latest review")
    def verdict(self, obj):
        summary = getattr(obj, "summary", None)
        machine = f"{obj.get_status_display()}"
        if summary is not None:
            machine += f" · verification {summary.verification_status or '—'} · tampering {summary.get_tampering_level_display()}"
        latest = obj.reviews.select_related("reviewed_by").first()
        if latest is None:
            return format_html("{} — <span>not reviewed</span>", machine)
        return format_html(
            '{} — <strong id="latest-review">Review: {}</strong> by {} on {}',
            machine, latest.get_decision_display(), latest.reviewed_by.get_username(), timezone.localtime(latest.created_at).strftime("%Y-%m-%d %H:%M"),
        )

    def get_urls(self):
        review = path(
            "<path:object_id>/review/", self.admin_site.admin_view(self.review_view), name="statements_statement_review"
        )
        return [review, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_review": permissions.can_review(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def review_view(self, request, object_id):
        """Record a review decision through the service; the verdict is untouched."""
        statement = self.get_object(request, object_id)
        if statement is None:
            raise Http404
        if not (self.has_view_permission(request, statement) and permissions.can_review(request.user)):
            raise PermissionDenied
        form = StatementReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                review = services.statement_review_record(
                    statement_id=statement.pk,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    reviewed_by=request.user,
                )
            except ValidationError as exc:
                for message in validation_messages(exc):
                    form.add_error(None, message)
            else:
                self.message_user(request, f"Review recorded: {review.get_decision_display()}. The engine's verdict is unchanged.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:statements_statement_change", args=[statement.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Record a review of {statement}",
            "form": form,
            "statement": statement,
            "summary": getattr(statement, "summary", None),
            "reviews": statement.reviews.select_related("reviewed_by")[:20],
            "opts": self.model._meta,
            "original": statement,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/statements/statement/review.html", context)

    def has_reprocess_permission(self, request):
        return request.user.has_perm("statements.reprocess_statement")

    def has_download_permission(self, request):
        return permissions.can_read_transactions(request.user)

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
class StatementSummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The statement's label names its provider and account.
    list_display = ("statement", "verification_status", "balance_match", "tampering_level", "duplicate_count", "balance_diff_change_ratio")
    list_filter = ("acc_prvdr_code", "verification_status", "balance_match", "tampering_level")
    search_fields = ("acc_number", "run_id")
    list_select_related = ("statement",)
    raw_id_fields = ("statement",)


@admin.register(StatementReview)
class StatementReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every review decision (append-only); recorded from a statement's page."""

    list_display = ("created_at", "statement", "decision", "reviewed_by", "statement_status", "verification_status", "tampering_level")
    list_filter = ("decision", "tampering_level", "verification_status")
    search_fields = ("statement__run_id", "statement__acc_number", "note")
    list_select_related = ("statement", "reviewed_by")
    raw_id_fields = ("statement",)
    date_hierarchy = "created_at"


@admin.register(RawTransaction)
class RawTransactionAdmin(TransactionReadAdminMixin, HugeTableAdmin):
    list_display = (
        "statement", "row_number", "txn_date", "description", money_column("amount", "Amount (UGX)", code=False),
        money_column("fee", "Fee", code=False), money_column("tax", "Tax", code=False), money_column("balance", "Balance", code=False),
        "has_quality_issue",
    )
    list_filter = ("acc_prvdr_code", "has_quality_issue")
    search_fields = ("txn_id", "acc_number")
    list_select_related = ("statement",)
    raw_id_fields = ("statement",)


@admin.register(ProcessedTransaction)
class ProcessedTransactionAdmin(TransactionReadAdminMixin, HugeTableAdmin):
    list_display = (
        "statement", "sequence", "txn_date", money_column("amount", "Amount (UGX)", code=False), money_column("fee", "Fee", code=False),
        money_column("tax", "Tax", code=False), money_column("balance", "Balance", code=False),
        # The recomputed balance itself is on the row's page: the list shows
        # only its difference from the file's, so it fits 1440 px with the
        # Tax column (tests/browser/test_workbench_layout.py).
        money_column("balance_diff", "Difference", code=False),
        "is_duplicate", "is_special",
    )
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
    files = MultipleFileField(help_text="One or more statements: Airtel PDF/CSV, MTN PDF/xls/xlsx/csv.")
    provider = forms.ChoiceField(choices=provider_hint_choices, required=False)
    run_id = forms.CharField(max_length=64, required=False, help_text="The statement request these files belong to (optional).")

    def clean_files(self):
        files = self.cleaned_data["files"]
        too_big = [f.name for f in files if f.size > settings.MAX_UPLOAD_SIZE]
        if too_big:
            raise forms.ValidationError(f"Larger than {settings.MAX_UPLOAD_SIZE} bytes: {', '.join(too_big)}")
        over = [f"{upload.name}: {reason}" for upload in files if (reason := services.statement_upload_over_limit(fileobj=upload))]
        if over:
            raise forms.ValidationError("; ".join(over))
        return files


@admin.register(StatementImport)
class StatementImportAdmin(admin.ModelAdmin):
    list_display = ("id", "trigger", "status", "started_by_label", "total_files", "imported_count", "duplicate_count", "failed_count", "created_at")
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
