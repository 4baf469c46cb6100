import django_filters

from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport


class StatementFilterSet(django_filters.FilterSet):
    provider = django_filters.CharFilter(field_name="acc_prvdr_code")
    verification_status = django_filters.CharFilter(field_name="summary__verification_status")
    tampering_level = django_filters.CharFilter(field_name="summary__tampering_level")
    balance_match = django_filters.CharFilter(field_name="summary__balance_match")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    period_from = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lte")
    rm = django_filters.CharFilter(field_name="rm_name", lookup_expr="icontains")

    class Meta:
        model = Statement
        fields = ["acc_prvdr_code", "acc_number", "run_id", "status", "format", "cust_id", "customer", "import_job"]


class RawTransactionFilterSet(django_filters.FilterSet):
    class Meta:
        model = RawTransaction
        fields = ["statement", "acc_prvdr_code", "acc_number", "run_id", "has_quality_issue"]


class ProcessedTransactionFilterSet(django_filters.FilterSet):
    class Meta:
        model = ProcessedTransaction
        fields = ["statement", "acc_prvdr_code", "acc_number", "run_id", "is_duplicate", "is_special", "has_quality_issue"]


class StatementImportFilterSet(django_filters.FilterSet):
    class Meta:
        model = StatementImport
        fields = ["status", "trigger"]
