from django.contrib import admin
from import_export import fields, resources
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from debts.models import CommunicationLog, Debt, Payment, PromiseToPay


class DebtResource(resources.ModelResource):
    account_number = fields.Field(attribute="masked_account_number", column_name="account_number", readonly=True)

    class Meta:
        model = Debt
        exclude = ("account_number_hash",)


class PaymentResource(resources.ModelResource):
    class Meta:
        model = Payment


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("payment_date", "amount", "status", "payment_method", "transaction_id")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Debt)
class DebtAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [DebtResource]
    list_display = ("loan_id", "customer", "debt_type", "original_amount", "current_balance", "status", "due_date", "days_past_due", "branch")
    list_filter = ("status", "debt_type", "cluster", "branch")
    search_fields = ("loan_id", "reference_number", "customer__full_name", "customer__primary_phone")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    readonly_fields = ("masked_account_number", "closed_at", "closed_by", "closed_reason", "created_at", "updated_at")
    exclude = ("account_number",)
    inlines = [PaymentInline]
    date_hierarchy = "due_date"


@admin.register(Payment)
class PaymentAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [PaymentResource]
    list_display = ("id", "debt", "customer", "amount", "status", "payment_method", "payment_date", "transaction_id")
    list_filter = ("status", "payment_method")
    search_fields = ("transaction_id", "debt__loan_id", "customer__full_name")
    list_select_related = ("debt", "customer")
    autocomplete_fields = ("debt", "customer")
    readonly_fields = ("completed_at", "refunded_at", "created_at", "updated_at")
    date_hierarchy = "payment_date"


@admin.register(CommunicationLog)
class CommunicationLogAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "customer", "communication_type", "direction", "outcome", "agent_id", "duration_seconds")
    list_filter = ("communication_type", "direction", "outcome")
    search_fields = ("customer__full_name", "contact_phone", "contact_email", "agent_id", "notes")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer", "debt")
    raw_id_fields = ("call_session",)
    date_hierarchy = "timestamp"


@admin.register(PromiseToPay)
class PromiseToPayAdmin(admin.ModelAdmin):
    list_display = ("customer", "debt", "amount", "promised_date", "status", "amount_paid", "evaluated_at")
    list_filter = ("status",)
    search_fields = ("customer__full_name", "debt__loan_id")
    list_select_related = ("customer", "debt")
    autocomplete_fields = ("customer", "debt")
    raw_id_fields = ("communication_log",)
