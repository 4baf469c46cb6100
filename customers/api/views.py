"""Customers and bank accounts: create, read, update, filter, paginate.

Writes go through ``customers.services`` (via the serializers); nothing is
deleted over the API — a customer is closed with ``account_status``.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.api.serializers import BankAccountSerializer, CustomerSerializer, CustomerSummarySerializer
from customers.filters import BankAccountFilterSet, CustomerFilterSet
from customers.models import BankAccount, Customer
from customers.selectors import customer_summary


class _CreateReadUpdateViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    pass


class CustomerViewSet(_CreateReadUpdateViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    search_fields = ["full_name", "primary_phone", "email", "cust_id"]
    ordering_fields = ["full_name", "created_at", "last_contact_date", "id"]

    @extend_schema(responses=CustomerSummarySerializer, summary="Total debt, active debts, total paid, worst days past due, last payment and contact")
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        return Response(CustomerSummarySerializer(customer_summary(customer=self.get_object())).data)


class BankAccountViewSet(_CreateReadUpdateViewSet):
    queryset = BankAccount.objects.all()
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilterSet
    search_fields = ["bank_name", "account_number_last4", "customer__full_name"]
    ordering_fields = ["created_at", "id"]
