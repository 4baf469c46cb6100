import django_filters
from django.db.models import Q

from core.fields import lookup_hash
from customers.choices import Provider
from customers.models import BankAccount, Customer, CustomerDetails, RelationshipManager


def _hash_filter(model, hash_field: str):
    """Exact match on an encrypted field, through the keyed hash beside it."""

    def method(queryset, name, value):
        return queryset.filter(**{hash_field: lookup_hash(model, hash_field, value)})

    return method


class CustomerFilterSet(django_filters.FilterSet):
    full_name = django_filters.CharFilter(lookup_expr="icontains")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    contacted_after = django_filters.IsoDateTimeFilter(field_name="last_contact_date", lookup_expr="gte")
    contacted_before = django_filters.IsoDateTimeFilter(field_name="last_contact_date", lookup_expr="lte")
    ssn = django_filters.CharFilter(method=_hash_filter(Customer, "ssn_hash"), help_text="Exact SSN (matched on its keyed hash)")
    national_id = django_filters.CharFilter(
        method=_hash_filter(Customer, "national_id_hash"), help_text="Exact national ID (matched on its keyed hash)"
    )

    class Meta:
        model = Customer
        fields = [
            "cust_id", "fingerprint", "primary_phone", "secondary_phone", "email", "state", "city", "country",
            "account_status", "employment_status", "do_not_call", "relationship_manager",
        ]


class BankAccountFilterSet(django_filters.FilterSet):
    account_number = django_filters.CharFilter(
        method=_hash_filter(BankAccount, "account_number_hash"), help_text="Exact account number (matched on its keyed hash)"
    )
    bank_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = BankAccount
        fields = ["customer", "account_type", "is_active", "is_primary", "account_number_last4"]


class CustomerDetailsFilterSet(django_filters.FilterSet):
    provider = django_filters.ChoiceFilter(field_name="acc_prvdr_code", choices=Provider.choices)
    rm = django_filters.CharFilter(
        method="filter_rm", help_text="Part of the name of the current, registering or requesting RM"
    )
    rm_id = django_filters.NumberFilter(field_name="current_rm_id", help_text="persons.id of the current RM")
    has_borrower = django_filters.BooleanFilter(field_name="borrower_id", lookup_expr="isnull", exclude=True)
    requested_after = django_filters.IsoDateTimeFilter(field_name="request_created_at", lookup_expr="gte")
    requested_before = django_filters.IsoDateTimeFilter(field_name="request_created_at", lookup_expr="lte")

    class Meta:
        model = CustomerDetails
        fields = [
            "run_id", "cust_id", "acc_number", "acc_prvdr_code", "risk_category", "borrower_status",
            "final_entity_type", "direct_entity_type", "source", "sync_status", "customer", "relationship_manager",
        ]

    def filter_rm(self, queryset, name, value):
        return queryset.filter(
            Q(current_rm_name__icontains=value) | Q(registered_rm_name__icontains=value) | Q(rm_name__icontains=value)
        )


class RelationshipManagerFilterSet(django_filters.FilterSet):
    full_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = RelationshipManager
        fields = ["person_id", "is_active"]
