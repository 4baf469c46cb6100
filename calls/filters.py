import django_filters

from calls.models import CallSession


class CallSessionFilterSet(django_filters.FilterSet):
    initiated_after = django_filters.IsoDateTimeFilter(field_name="initiated_at", lookup_expr="gte")
    initiated_before = django_filters.IsoDateTimeFilter(field_name="initiated_at", lookup_expr="lte")

    class Meta:
        model = CallSession
        fields = ["customer", "debt", "status", "provider", "call_sid", "triggered_by_batch", "triggered_by_row"]
