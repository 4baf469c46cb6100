"""Filters for statements and their transactions.

``StatementFilterSet`` serves the statements list, the CSV downloads
(``/api/v1/download/raw|processed`` filter the same way), the analytics
endpoint and the ``/statements/`` page, so a filter an ops person learns in
one place works in all of them.
"""
import django_filters
from django.db.models import Q

from statements.choices import BalanceMatch, StatementFormat, StatementStatus, TamperingLevel, VerificationStatus, provider_choices
from statements.engine.forensics.codes import FLAG_THRESHOLD
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport


def normalize_acc_number(value: str) -> str:
    """Account numbers are stored as the 9 significant digits of the mobile
    number (``256706015809`` → ``706015809``); accept either form."""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return digits[-9:] if len(digits) >= 9 else str(value).strip()


class StatementFilterSet(django_filters.FilterSet):
    """Blank parameters mean "any": the statements page's form sends every
    field, and ``status=`` must not be refused as an invalid choice."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = data.copy()
            for key in list(data.keys()):
                values = [value for value in data.getlist(key) if value != ""]
                if values:
                    data.setlist(key, values)
                else:
                    del data[key]
        super().__init__(data, *args, **kwargs)

    provider = django_filters.ChoiceFilter(field_name="acc_prvdr_code", choices=provider_choices, label="Provider (acc_prvdr_code)")
    acc_prvdr_code = django_filters.ChoiceFilter(choices=provider_choices)
    acc_number = django_filters.CharFilter(method="filter_acc_number", label="Account number (9 digits or with 256)")
    status = django_filters.MultipleChoiceFilter(choices=StatementStatus.choices, label="Statement status (repeat for several)")
    verification_status = django_filters.ChoiceFilter(field_name="summary__verification_status", choices=VerificationStatus.choices)
    tampering_level = django_filters.MultipleChoiceFilter(
        field_name="summary__tampering_level", choices=TamperingLevel.choices, label="Tampering level (repeat for several)"
    )
    balance_match = django_filters.ChoiceFilter(field_name="summary__balance_match", choices=BalanceMatch.choices)
    risk_score__gte = django_filters.NumberFilter(field_name="summary__risk_score", lookup_expr="gte", label="Risk score at least (0-100)")
    risk_score__lte = django_filters.NumberFilter(field_name="summary__risk_score", lookup_expr="lte", label="Risk score at most (0-100)")
    needs_review = django_filters.BooleanFilter(method="filter_needs_review",
                                                label="Review queue: flagged (or scored at the flag threshold) with no review decision yet")
    # Not ``format``: DRF reads that query parameter as the response format.
    file_format = django_filters.ChoiceFilter(field_name="format", choices=StatementFormat.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    imported_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="Imported on or after (date)")
    imported_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="Imported on or before (date)")
    period_from = django_filters.DateFilter(field_name="period_end", lookup_expr="gte", label="Statement period ends on or after")
    period_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lte", label="Statement period starts on or before")
    txn_from = django_filters.IsoDateTimeFilter(field_name="summary__last_txn_date", lookup_expr="gte", label="Has transactions on or after")
    txn_to = django_filters.IsoDateTimeFilter(field_name="summary__first_txn_date", lookup_expr="lte", label="Has transactions on or before")
    rm = django_filters.CharFilter(method="filter_rm", label="Relationship manager (name contains)")
    cust_id = django_filters.CharFilter()
    has_customer = django_filters.BooleanFilter(method="filter_has_customer", label="Linked to a customer (cust_id known)")
    run_id = django_filters.CharFilter()

    class Meta:
        model = Statement
        fields = ["customer", "import_job"]

    def filter_acc_number(self, queryset, name, value):
        return queryset.filter(acc_number=normalize_acc_number(value))

    def filter_rm(self, queryset, name, value):
        # The statement's RM (copied by the enrichment), else the request's
        # current RM: ops search for "their" RM either way.
        return queryset.filter(Q(rm_name__icontains=value) | Q(customer_details__current_rm_name__icontains=value))

    def filter_needs_review(self, queryset, name, value):
        queue = (Q(summary__risk_score__gte=FLAG_THRESHOLD) | Q(status=StatementStatus.FLAGGED)) & Q(reviews__isnull=True)
        return queryset.filter(queue) if value else queryset.exclude(queue)

    def filter_has_customer(self, queryset, name, value):
        return queryset.exclude(cust_id="") if value else queryset.filter(cust_id="")


# Filters the transaction tables can answer on their own columns (they carry
# acc_prvdr_code, acc_number and run_id; docs/statement-formats.md, "What is
# kept per statement"): a download filtered only by
# these never joins metadata.
TRANSACTION_LEVEL_FILTERS = {"provider": "acc_prvdr_code", "acc_prvdr_code": "acc_prvdr_code", "acc_number": "acc_number", "run_id": "run_id"}


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
