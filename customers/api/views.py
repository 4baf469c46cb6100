from rest_framework import viewsets

from customers.api.serializers import BankAccountSerializer, CustomerSerializer
from customers.filters import BankAccountFilterSet, CustomerFilterSet
from customers.models import BankAccount, Customer


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
