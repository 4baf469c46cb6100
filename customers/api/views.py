"""Customers and bank accounts: create, read, update, filter, paginate.

Writes go through ``customers.services`` (via the serializers); nothing is
deleted over the API — a customer is closed with ``account_status``. A
customer's collections summary (``customers/{id}/summary/``) is served by
``debts.api``, which owns debts and payments.
"""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.lookups import LOOKUP_THROTTLES, CanLookUpIdentifiers, RefuseIdentifierQueryParams
from core.api.viewsets import CreateReadUpdateViewSet
from customers.api.lookups import (
    BankAccountLookupSerializer,
    CustomerLookupSerializer,
    bank_accounts_matching,
    customers_matching,
)
from customers.api.serializers import BankAccountSerializer, CustomerSerializer
from customers.filters import BankAccountFilterSet, CustomerFilterSet
from customers.models import BankAccount, Customer


def _lookup_response(name: str, serializer_class):
    return inline_serializer(name, {"count": serializers.IntegerField(), "results": serializer_class(many=True)})


class CustomerViewSet(RefuseIdentifierQueryParams, CreateReadUpdateViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    search_fields = ["full_name", "primary_phone", "email", "cust_id"]
    phone_search_fields = ["primary_phone", "secondary_phone"]  # core.api.filters.PhoneSearchFilter
    ordering_fields = ["full_name", "created_at", "last_contact_date", "id"]
    identifier_query_params = {"ssn": "/api/v1/customers/lookup/", "national_id": "/api/v1/customers/lookup/"}
    identifier_body_fields = ("ssn", "national_id")

    @extend_schema(
        request=CustomerLookupSerializer,
        responses=_lookup_response("CustomerLookupResult", CustomerSerializer),
        summary="Find customers by exact SSN or national ID (needs customers.lookup_identifier; throttled)",
    )
    @action(detail=False, methods=["post"], permission_classes=[CanLookUpIdentifiers], throttle_classes=LOOKUP_THROTTLES)
    def lookup(self, request):
        body = CustomerLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        name, value = body.validated_data["identifier"]
        found = list(customers_matching(name=name, value=value))
        return Response({"count": len(found), "results": CustomerSerializer(found, many=True, context={"request": request}).data})


class BankAccountViewSet(RefuseIdentifierQueryParams, CreateReadUpdateViewSet):
    queryset = BankAccount.objects.all()
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilterSet
    search_fields = ["bank_name", "account_number_last4", "customer__full_name"]
    ordering_fields = ["created_at", "id"]
    identifier_query_params = {"account_number": "/api/v1/bank-accounts/lookup/"}
    identifier_body_fields = ("account_number",)

    @extend_schema(
        request=BankAccountLookupSerializer,
        responses=_lookup_response("BankAccountLookupResult", BankAccountSerializer),
        summary="Find bank accounts by exact account number (needs customers.lookup_identifier; throttled)",
    )
    @action(detail=False, methods=["post"], permission_classes=[CanLookUpIdentifiers], throttle_classes=LOOKUP_THROTTLES)
    def lookup(self, request):
        body = BankAccountLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        found = list(bank_accounts_matching(account_number=body.validated_data["account_number"]))
        return Response({"count": len(found), "results": BankAccountSerializer(found, many=True, context={"request": request}).data})
