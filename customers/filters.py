import django_filters

from core.fields import lookup_hash
from customers.models import BankAccount, Customer, RelationshipManager


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


class RelationshipManagerFilterSet(django_filters.FilterSet):
    full_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = RelationshipManager
        fields = ["person_id", "is_active"]
