import django_filters

from debts.choices import DebtStatus
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay


# No ?account_number=: POST /api/v1/debts/lookup/ (see core.api.lookups).
class DebtFilterSet(django_filters.FilterSet):
    status_in = django_filters.MultipleChoiceFilter(field_name="status", choices=DebtStatus.choices, help_text="Any of these statuses")
    min_days_past_due = django_filters.NumberFilter(field_name="days_past_due", lookup_expr="gte")
    max_days_past_due = django_filters.NumberFilter(field_name="days_past_due", lookup_expr="lte")
    min_balance = django_filters.NumberFilter(field_name="current_balance", lookup_expr="gte")
    max_balance = django_filters.NumberFilter(field_name="current_balance", lookup_expr="lte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    issued_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")
    issued_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")

    class Meta:
        model = Debt
        fields = [
            "customer", "loan_id", "debt_type", "status", "branch", "cluster", "state", "employee_id", "reference_number", "currency",
            "assigned_to",
        ]


class PaymentFilterSet(django_filters.FilterSet):
    paid_after = django_filters.IsoDateTimeFilter(field_name="payment_date", lookup_expr="gte")
    paid_before = django_filters.IsoDateTimeFilter(field_name="payment_date", lookup_expr="lte")
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    max_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["customer", "debt", "status", "payment_method", "transaction_id", "recorded_by"]


class CommunicationLogFilterSet(django_filters.FilterSet):
    after = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")
    disposition = django_filters.CharFilter(field_name="disposition__code", help_text="A disposition code (/api/v1/dispositions/)")
    next_action_before = django_filters.DateFilter(field_name="next_action_date", lookup_expr="lte")
    next_action_after = django_filters.DateFilter(field_name="next_action_date", lookup_expr="gte")

    class Meta:
        model = CommunicationLog
        fields = ["customer", "debt", "call_session", "communication_type", "direction", "outcome", "agent_id", "agent_user"]


class PromiseToPayFilterSet(django_filters.FilterSet):
    due_before = django_filters.DateFilter(field_name="promised_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="promised_date", lookup_expr="gte")

    class Meta:
        model = PromiseToPay
        fields = ["customer", "debt", "status", "communication_log"]
