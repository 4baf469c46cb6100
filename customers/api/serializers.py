"""Customer and bank-account API shapes.

Personal identifiers are written in clear and always read back masked
(``••••6789``): ``MaskedCharField`` does both under one field name, so a
partner writes ``ssn`` and reads ``ssn``. Service errors become 400/403 in
``core.api.exceptions``.
"""
from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import MaskedCharField, changed_fields
from customers import services
from customers.models import BankAccount, Customer


class CustomerSerializer(serializers.ModelSerializer):
    ssn = MaskedCharField(required=False, allow_blank=True, help_text="XXX-XX-XXXX on input; last four only on output")
    national_id = MaskedCharField(required=False, allow_blank=True, help_text="Clear on input; last four only on output")
    primary_phone = serializers.CharField(required=False, help_text="E.164; local numbers are read in PHONE_DEFAULT_REGION")
    phone_primary = serializers.CharField(source="primary_phone", required=False, help_text="Seed 002's name for primary_phone")
    phone_secondary = serializers.CharField(source="secondary_phone", required=False, allow_blank=True, help_text="Seed 002's name for secondary_phone")
    full_name = serializers.CharField(required=False, allow_blank=True, help_text="Defaults to first + middle + last name")
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    cust_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = Customer
        fields = [
            "id", "cust_id", "fingerprint", "full_name", "business_name", "first_name", "middle_name", "last_name",
            "date_of_birth", "ssn", "national_id", "email", "primary_phone", "secondary_phone", "phone_primary",
            "phone_secondary", "address_line1", "address_line2", "city", "state", "zip_code", "country", "timezone",
            "employer_name", "employment_status", "annual_income", "account_status", "credit_score", "do_not_call",
            "first_uploaded_at", "last_contact_date", "relationship_manager", "notes", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "fingerprint", "first_uploaded_at", "last_contact_date", "created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is None and not attrs.get("primary_phone"):
            raise serializers.ValidationError({"primary_phone": "A primary phone number is required."})
        return attrs

    def create(self, validated_data):
        user = self.context["request"].user
        return services.customer_create(created_by=user, **validated_data)

    def update(self, instance, validated_data):
        user = self.context["request"].user
        data = changed_fields(instance, validated_data)
        return services.customer_update(customer_id=instance.pk, data=data, updated_by=user)


class BankAccountSerializer(serializers.ModelSerializer):
    account_number = MaskedCharField(help_text="Clear on input; last four only on output")
    routing_number = MaskedCharField(required=False, allow_blank=True, help_text="Clear on input; last four only on output")

    class Meta:
        model = BankAccount
        fields = [
            "id", "customer", "account_type", "account_number", "routing_number", "bank_name", "is_active",
            "is_primary", "notes", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def create(self, validated_data):
        customer = validated_data.pop("customer")
        return services.bank_account_create(customer_id=customer.pk, created_by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        data = changed_fields(instance, validated_data)
        if "customer" in data:
            raise serializers.ValidationError({"customer": "A bank account cannot move to another customer."})
        return services.bank_account_update(account_id=instance.pk, data=data, updated_by=self.context["request"].user)
