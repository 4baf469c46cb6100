import django_filters
from django.db.models import Q

from customers.choices import Provider
from details.models import CustomerDetails


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
