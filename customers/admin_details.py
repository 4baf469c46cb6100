"""Admin for customer details (seed 000) and relationship managers."""
from django.contrib import admin
from import_export import resources
from import_export.admin import ImportExportModelAdmin

from customers.models import CustomerDetails, RelationshipManager


class CustomerDetailsResource(resources.ModelResource):
    class Meta:
        model = CustomerDetails
        exclude = ("lead_id_proof_num", "lead_national_id")
        import_id_fields = ("run_id",)



@admin.register(RelationshipManager)
class RelationshipManagerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "person_id", "phone", "email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("full_name", "person_id", "email")


@admin.register(CustomerDetails)
class CustomerDetailsAdmin(ImportExportModelAdmin):
    resource_classes = [CustomerDetailsResource]
    list_display = (
        "run_id", "acc_number", "acc_prvdr_code", "cust_id", "final_entity_type", "borrower_biz_name",
        "tot_loans", "tot_default_loans", "risk_category", "current_rm_name", "source", "sync_status", "synced_at",
    )
    list_filter = ("acc_prvdr_code", "final_entity_type", "direct_entity_type", "risk_category", "borrower_status", "source", "sync_status")
    search_fields = ("run_id", "cust_id", "acc_number", "borrower_biz_name", "account_holder_name", "current_rm_name")
    list_select_related = ("customer", "relationship_manager")
    autocomplete_fields = ("customer", "relationship_manager")
    exclude = ("lead_id_proof_num", "lead_national_id")
