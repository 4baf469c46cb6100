from rest_framework import viewsets

from debts.api.serializers import CommunicationLogSerializer, DebtSerializer, PaymentSerializer, PromiseToPaySerializer
from debts.filters import CommunicationLogFilterSet, DebtFilterSet, PaymentFilterSet, PromiseToPayFilterSet
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay


class DebtViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Debt.objects.all()
    serializer_class = DebtSerializer
    filterset_class = DebtFilterSet
    search_fields = ["loan_id", "reference_number", "customer__full_name"]
    ordering_fields = ["created_at", "due_date", "current_balance", "days_past_due", "id"]


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Payment.objects.all()
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    ordering_fields = ["payment_date", "amount", "id"]


class CommunicationLogViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CommunicationLog.objects.all()
    serializer_class = CommunicationLogSerializer
    filterset_class = CommunicationLogFilterSet
    ordering_fields = ["timestamp", "id"]


class PromiseToPayViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = PromiseToPay.objects.all()
    serializer_class = PromiseToPaySerializer
    filterset_class = PromiseToPayFilterSet
    ordering_fields = ["promised_date", "id"]
