import django_filters

from debts.models import CommunicationLog, Debt, Payment, PromiseToPay


class DebtFilterSet(django_filters.FilterSet):
    min_days_past_due = django_filters.NumberFilter(field_name="days_past_due", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = Debt
        fields = ["customer", "loan_id", "debt_type", "status", "branch", "cluster", "employee_id", "reference_number"]


class PaymentFilterSet(django_filters.FilterSet):
    paid_after = django_filters.IsoDateTimeFilter(field_name="payment_date", lookup_expr="gte")
    paid_before = django_filters.IsoDateTimeFilter(field_name="payment_date", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["customer", "debt", "status", "payment_method", "transaction_id"]


class CommunicationLogFilterSet(django_filters.FilterSet):
    after = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")

    class Meta:
        model = CommunicationLog
        fields = ["customer", "debt", "call_session", "communication_type", "direction", "outcome", "agent_id"]


class PromiseToPayFilterSet(django_filters.FilterSet):
    due_before = django_filters.DateFilter(field_name="promised_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="promised_date", lookup_expr="gte")

    class Meta:
        model = PromiseToPay
        fields = ["customer", "debt", "status"]
