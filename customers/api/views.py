from rest_framework import viewsets

from customers.api.serializers import (
    BankAccountSerializer,
    CustomerDetailsSerializer,
    CustomerSerializer,
    RelationshipManagerSerializer,
)
from customers.filters import (
    BankAccountFilterSet,
    CustomerDetailsFilterSet,
    CustomerFilterSet,
    RelationshipManagerFilterSet,
)
from customers.models import BankAccount, Customer, CustomerDetails, RelationshipManager


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    search_fields = ["full_name", "primary_phone", "email", "cust_id"]
    ordering_fields = ["full_name", "created_at", "last_contact_date", "id"]


class BankAccountViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = BankAccount.objects.all()
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilterSet
    ordering_fields = ["created_at", "id"]


class CustomerDetailsViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CustomerDetails.objects.all()
    serializer_class = CustomerDetailsSerializer
    filterset_class = CustomerDetailsFilterSet
    lookup_field = "run_id"
    search_fields = ["run_id", "cust_id", "acc_number", "borrower_biz_name", "account_holder_name"]
    ordering_fields = ["request_created_at", "tot_default_loans", "risk_category", "id"]


class RelationshipManagerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RelationshipManager.objects.all()
    serializer_class = RelationshipManagerSerializer
    filterset_class = RelationshipManagerFilterSet
    ordering_fields = ["full_name", "id"]
