from django.contrib import admin

from core.admin import HugeTableAdmin
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


@admin.register(StatementImport)
class StatementImportAdmin(admin.ModelAdmin):
    list_display = ("id", "trigger", "status", "started_by", "total_files", "imported_count", "duplicate_count", "failed_count", "created_at")
    list_filter = ("status", "trigger")
    list_select_related = ("started_by",)
    readonly_fields = ("results", "started_at", "finished_at", "created_at", "updated_at")
