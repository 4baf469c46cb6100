"""Exact-match lookups by SSN, national ID or bank-account number (see
``core.api.lookups``): the value in a POST body, ``customers.lookup_identifier``
needed, throttled per user; the answer is the matching records, masked."""
from __future__ import annotations

from rest_framework import serializers

from core.api.lookups import MAX_LOOKUP_RESULTS, IdentifierField, one_identifier
from core.fields import lookup_hash
from customers.models import BankAccount, Customer


class CustomerLookupSerializer(serializers.Serializer):
    ssn = IdentifierField(help_text="An SSN, XXX-XX-XXXX or nine digits")
    national_id = IdentifierField(help_text="A national ID")

    def validate(self, attrs):
        attrs["identifier"] = one_identifier(attrs, ("ssn", "national_id"))
        return attrs


class BankAccountLookupSerializer(serializers.Serializer):
    account_number = IdentifierField(required=True, help_text="A bank-account number (digits; spaces and dashes ignored)")


def customers_matching(*, name: str, value: str):
    field = {"ssn": "ssn_hash", "national_id": "national_id_hash"}[name]
    digest = lookup_hash(Customer, field, value)
    if not digest:
        return Customer.objects.none()
    return Customer.objects.filter(**{field: digest}).order_by("id")[:MAX_LOOKUP_RESULTS]


def bank_accounts_matching(*, account_number: str):
    digest = lookup_hash(BankAccount, "account_number_hash", account_number)
    if not digest:
        return BankAccount.objects.none()
    return BankAccount.objects.filter(account_number_hash=digest).order_by("id")[:MAX_LOOKUP_RESULTS]
