"""Customer and bank-account admin. Saves go through ``customers.services``;
personal identifiers are typed in, never shown back (masked), and kept out
of the audit history and the exports.

Apps above customers add to the customer page from their own admin.py
(``core.admin``'s hooks): debts the collections summary and the debts and
contacts inlines, calls the "Call now" action.
"""
from django.contrib import admin
from import_export import fields
from simple_history.admin import SimpleHistoryAdmin

from core.admin import AuditedAdminMixin, PanelsAdminMixin, ServiceAdminMixin, ServiceDeleteAdminMixin
from core.admin_search import PhoneSearchAdminMixin
from core.exports import PermissionedExportMixin, SafeModelResource
from core.identifier_admin import IdentifierWriteThrottleAdminMixin
from customers import (
    admin_relationship_managers,  # noqa: F401  (registers RelationshipManager)
    services,
)
from customers.forms import BankAccountAdminForm, CustomerAdminForm
from customers.models import BankAccount, Customer


class CustomerResource(SafeModelResource):
    """Exports mask personal identifiers; imports never touch them."""

    ssn = fields.Field(attribute="masked_ssn", column_name="ssn", readonly=True)
    national_id = fields.Field(attribute="masked_national_id", column_name="national_id", readonly=True)

    class Meta:
        model = Customer
        exclude = ("ssn_hash", "national_id_hash", "fingerprint")
        import_id_fields = ("id",)


class BankAccountInline(admin.TabularInline):
    model = BankAccount
    fk_name = "customer"  # primary_for points at the customer too
    extra = 0
    fields = ("account_type", "masked_account_number", "bank_name", "is_active", "is_primary")
    readonly_fields = ("masked_account_number",)
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(
    IdentifierWriteThrottleAdminMixin, PhoneSearchAdminMixin, PanelsAdminMixin, ServiceDeleteAdminMixin, ServiceAdminMixin, AuditedAdminMixin, PermissionedExportMixin,
    SimpleHistoryAdmin,
):
    form = CustomerAdminForm
    identifier_form_fields = ("ssn", "national_id")
    resource_classes = [CustomerResource]
    inlines = [BankAccountInline]  # debts adds its own
    list_display = ("full_name", "primary_phone", "cust_id", "state", "account_status", "do_not_call", "last_contact_date", "created_at")
    list_filter = ("account_status", "do_not_call", "state", "employment_status", "country")
    search_fields = ("full_name", "primary_phone", "email", "cust_id", "business_name")
    phone_search_fields = ("primary_phone", "secondary_phone")  # a phone however typed (core.admin_search)
    list_select_related = ("relationship_manager",)
    readonly_fields = (
        "fingerprint", "masked_ssn", "masked_national_id", "first_uploaded_at", "last_contact_date",
        "created_at", "updated_at",
    )
    autocomplete_fields = ("relationship_manager",)
    date_hierarchy = "created_at"
    fieldsets = (
        ("Identity", {"fields": ("full_name", "business_name", "first_name", "middle_name", "last_name", "date_of_birth", "cust_id", "fingerprint")}),
        ("Personal identifiers (stored encrypted)", {"fields": ("masked_ssn", "ssn", "masked_national_id", "national_id")}),
        ("Contact", {"fields": ("primary_phone", "secondary_phone", "email", "do_not_call", "timezone")}),
        ("Address", {"fields": ("address_line1", "address_line2", "city", "state", "zip_code", "country")}),
        ("Employment", {"fields": ("employer_name", "employment_status", "annual_income")}),
        ("Account", {"fields": ("account_status", "credit_score", "relationship_manager", "notes")}),
        ("Lifecycle", {"fields": ("first_uploaded_at", "last_contact_date", "created_at", "updated_at")}),
    )

    def get_inlines(self, request, obj):
        return super().get_inlines(request, obj) if obj else []

    # A customer with debts or payments is never deleted (customers.services).
    def delete_check(self, obj):
        services.customer_check_deletable(customer=obj)

    def delete_service(self, obj, user):
        services.customer_delete(customer_id=obj.pk, deleted_by=user)

    def save_model(self, request, obj, form, change):
        editable = services.CUSTOMER_FIELDS
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in editable}
            saved = services.customer_update(customer_id=obj.pk, data=data, updated_by=request.user)
        else:
            data = {name: value for name, value in form.cleaned_data.items() if name in editable}
            saved = services.customer_create(created_by=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(BankAccount)
class BankAccountAdmin(IdentifierWriteThrottleAdminMixin, ServiceAdminMixin, AuditedAdminMixin, SimpleHistoryAdmin):
    form = BankAccountAdminForm
    identifier_form_fields = ("account_number",)
    list_display = ("customer", "account_type", "masked_account_number", "bank_name", "is_primary", "is_active")
    list_filter = ("account_type", "is_primary", "is_active")
    search_fields = ("customer__full_name", "bank_name", "account_number_last4")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    readonly_fields = ("masked_account_number", "masked_routing_number", "created_at", "updated_at")
    fields = ("customer", "account_type", "masked_account_number", "account_number", "masked_routing_number", "routing_number",
              "bank_name", "is_active", "is_primary", "notes", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        services.bank_account_save(account=obj, saved_by=request.user)
