"""Customers and bank accounts: create, read, update, filter, paginate.

Writes go through ``customers.services`` (via the serializers); nothing is
deleted over the API — a customer is closed with ``account_status``. A
customer's collections summary (``customers/{id}/summary/``) is served by
``debts.api``, which owns debts and payments.
"""
from core.api.viewsets import CreateReadUpdateViewSet
from customers.api.serializers import BankAccountSerializer, CustomerSerializer
from customers.filters import BankAccountFilterSet, CustomerFilterSet
from customers.models import BankAccount, Customer


class CustomerViewSet(CreateReadUpdateViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    search_fields = ["full_name", "primary_phone", "email", "cust_id"]
    phone_search_fields = ["primary_phone", "secondary_phone"]  # core.api.filters.PhoneSearchFilter
    ordering_fields = ["full_name", "created_at", "last_contact_date", "id"]


class BankAccountViewSet(CreateReadUpdateViewSet):
    queryset = BankAccount.objects.all()
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilterSet
    search_fields = ["bank_name", "account_number_last4", "customer__full_name"]
    ordering_fields = ["created_at", "id"]
