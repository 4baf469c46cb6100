from rest_framework import viewsets

from statements.api.serializers import (
    ProcessedTransactionSerializer,
    RawTransactionSerializer,
    StatementDetailSerializer,
    StatementImportSerializer,
    StatementSerializer,
)
from statements.filters import (
    ProcessedTransactionFilterSet,
    RawTransactionFilterSet,
    StatementFilterSet,
    StatementImportFilterSet,
)
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementImport


class StatementViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Statement.objects.select_related("summary")
    filterset_class = StatementFilterSet
    search_fields = ["run_id", "acc_number", "file_name", "customer_name"]
    ordering_fields = ["created_at", "acc_number", "num_rows", "id"]

    def get_serializer_class(self):
        return StatementDetailSerializer if self.action == "retrieve" else StatementSerializer


class RawTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RawTransaction.objects.all()
    serializer_class = RawTransactionSerializer
    filterset_class = RawTransactionFilterSet
    ordering_fields = ["row_number", "txn_date", "id"]


class ProcessedTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ProcessedTransaction.objects.all()
    serializer_class = ProcessedTransactionSerializer
    filterset_class = ProcessedTransactionFilterSet
    ordering_fields = ["sequence", "txn_date", "id"]


class StatementImportViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = StatementImport.objects.all()
    serializer_class = StatementImportSerializer
    filterset_class = StatementImportFilterSet
    ordering_fields = ["created_at", "id"]
