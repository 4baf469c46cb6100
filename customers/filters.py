import django_filters

from customers.models import BankAccount, Customer, RelationshipManager

# No ?ssn=, ?national_id= or ?account_number= filters: an exact match on a
# personal identifier is a POST to .../lookup/ (core.api.lookups says why).


class CustomerFilterSet(django_filters.FilterSet):
    full_name = django_filters.CharFilter(lookup_expr="icontains")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    contacted_after = django_filters.IsoDateTimeFilter(field_name="last_contact_date", lookup_expr="gte")
    contacted_before = django_filters.IsoDateTimeFilter(field_name="last_contact_date", lookup_expr="lte")

    class Meta:
        model = Customer
        fields = [
            "cust_id", "fingerprint", "primary_phone", "secondary_phone", "email", "state", "city", "country",
            "account_status", "employment_status", "do_not_call", "relationship_manager",
        ]


class BankAccountFilterSet(django_filters.FilterSet):
    bank_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = BankAccount
        fields = ["customer", "account_type", "is_active", "is_primary", "account_number_last4"]


class RelationshipManagerFilterSet(django_filters.FilterSet):
    full_name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = RelationshipManager
        fields = ["person_id", "is_active"]
