"""Admin for customer details (seed 000).

The changelist shows seed 000's statistics for the current filter. Rows are
written by the CSV backfill (``populate_customer_details``), the core
database fetch and the enrichment, never edited by hand; export stays.
"""
from django.contrib import admin, messages

from core.exports import PermissionedExportMixin, SafeModelResource
from details import flow_api
from details.models import CustomerDetails
from details.selectors import customer_details_statistics
from details.services import customer_details_refresh


class CustomerDetailsResource(SafeModelResource):
    class Meta:
        model = CustomerDetails
        exclude = ("lead_id_proof_num", "lead_national_id", "content_hash")
        import_id_fields = ("run_id",)


class HasBorrowerFilter(admin.SimpleListFilter):
    title = "borrower"
    parameter_name = "has_borrower"

    def lookups(self, request, model_admin):
        return (("yes", "With borrower"), ("no", "Without borrower"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(borrower_id__isnull=False)
        if self.value() == "no":
            return queryset.filter(borrower_id__isnull=True)
        return queryset


@admin.register(CustomerDetails)
class CustomerDetailsAdmin(PermissionedExportMixin, admin.ModelAdmin):
    resource_classes = [CustomerDetailsResource]
    # import-export wraps this template with its export button.
    change_list_template = "admin/details/customerdetails/change_list.html"
    # Fits 1440 px: the entity type, default count, source and sync time are on the record's page.
    list_display = (
        "run_id", "acc_number", "acc_prvdr_code", "cust_id", "borrower_biz_name", "tot_loans", "risk_category", "borrower_status",
        "current_rm_name", "sync_status",
    )
    list_filter = (
        "acc_prvdr_code", "final_entity_type", "direct_entity_type", "risk_category", "borrower_status", HasBorrowerFilter,
        ("relationship_manager", admin.RelatedOnlyFieldListFilter), "source", "sync_status",
    )
    search_fields = ("=run_id", "=cust_id", "acc_number", "borrower_biz_name", "account_holder_name", "current_rm_name")
    list_select_related = ("customer", "relationship_manager")
    autocomplete_fields = ("customer", "relationship_manager")
    exclude = ("lead_id_proof_num", "lead_national_id", "content_hash")
    actions = ["refresh_from_core"]

    def get_readonly_fields(self, request, obj=None):
        # Copies of the core system: correct them there, then refresh.
        return [f.name for f in CustomerDetails._meta.concrete_fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if changelist is not None:
            response.context_data["details_statistics"] = customer_details_statistics(changelist.queryset.order_by())
            response.context_data["details_statistics_filtered"] = bool(changelist.get_filters_params() or changelist.query)
        return response

    @admin.action(description="Refresh from the core database", permissions=["change"])
    def refresh_from_core(self, request, queryset):
        run_ids = list(queryset.values_list("run_id", flat=True)[:5000])
        try:
            outcome = customer_details_refresh(run_ids=run_ids)
        except flow_api.FlowApiError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            f"{len(outcome.details)} refreshed from the core database; {len(outcome.unknown)} unknown to it.",
            messages.SUCCESS if not outcome.unknown else messages.WARNING,
        )
