import django_filters

from customers.models import BankAccount, Customer, CustomerDetails, RelationshipManager


class CustomerFilterSet(django_filters.FilterSet):
    full_name = django_filters.CharFilter(lookup_expr="icontains")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Customer
        fields = ["cust_id", "primary_phone", "email", "state", "account_status", "do_not_call", "relationship_manager"]


class BankAccountFilterSet(django_filters.FilterSet):
    class Meta:
        model = BankAccount
        fields = ["customer", "account_type", "is_active", "is_primary", "bank_name"]


class CustomerDetailsFilterSet(django_filters.FilterSet):
    provider = django_filters.CharFilter(field_name="acc_prvdr_code")
    rm = django_filters.CharFilter(field_name="current_rm_name", lookup_expr="icontains")

    class Meta:
        model = CustomerDetails
        fields = [
            "run_id", "cust_id", "acc_number", "acc_prvdr_code", "risk_category", "borrower_status",
            "final_entity_type", "direct_entity_type", "source", "sync_status", "customer",
        ]


class RelationshipManagerFilterSet(django_filters.FilterSet):
    full_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = RelationshipManager
        fields = ["person_id", "is_active"]
