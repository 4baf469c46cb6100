"""Customer and bank-account API shapes.

Personal identifiers are written in clear and always read back masked
(``••••6789``): ``MaskedCharField`` does both under one field name, so a
partner writes ``ssn`` and reads ``ssn``.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers

from core.masking import mask
from customers import services
from customers.models import BankAccount, Customer


MASK_PREFIX = "••••"


class MaskedCharField(serializers.CharField):
    """Accepts the clear value, answers the last four characters only."""

    def to_representation(self, value):
        return mask(value)


def service_call(function, **kwargs):
    """Call a service; its ``ValidationError``/``PermissionDenied`` become DRF's (400/403)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from None
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from None


def changed_fields(instance, validated_data: dict) -> dict:
    """Only what a PUT/PATCH actually changes, so an unchanged read-only-by-rule
    field sent back as read is not mistaken for an attempt to change it."""
    changed = {}
    for name, value in validated_data.items():
        if isinstance(value, str) and value.startswith(MASK_PREFIX):
            continue  # a masked value read from us and sent back: unchanged
        current = getattr(instance, name, None)
        if hasattr(current, "pk") and not hasattr(value, "pk"):
            current = current.pk
        if current != value:
            changed[name] = value
    return changed


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
        return service_call(services.customer_create, created_by=user, **validated_data)

    def update(self, instance, validated_data):
        user = self.context["request"].user
        data = changed_fields(instance, validated_data)
        return service_call(services.customer_update, customer_id=instance.pk, data=data, updated_by=user)


class LastPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    payment_date = serializers.DateTimeField()
    debt_id = serializers.IntegerField()


class LastContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    communication_type = serializers.CharField()
    direction = serializers.CharField()
    outcome = serializers.CharField()


class CustomerSummarySerializer(serializers.Serializer):
    """Seed 002's customer summary, plus what an agent needs before a call."""

    customer = serializers.IntegerField()
    total_debt = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="Balance of debts still being collected")
    active_debt_count = serializers.IntegerField(help_text="Debts active, in collection or defaulted")
    debt_count = serializers.IntegerField(help_text="All debts, closed ones included")
    total_paid = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="Completed payments, refunds excluded")
    worst_days_past_due = serializers.IntegerField()
    last_payment = LastPaymentSerializer(allow_null=True)
    last_contact_date = serializers.DateTimeField(allow_null=True)
    last_contact = LastContactSerializer(allow_null=True)


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
        return service_call(
            services.bank_account_create, customer_id=customer.pk, created_by=self.context["request"].user, **validated_data
        )

    def update(self, instance, validated_data):
        data = changed_fields(instance, validated_data)
        if "customer" in data:
            raise serializers.ValidationError({"customer": "A bank account cannot move to another customer."})
        return service_call(services.bank_account_update, account_id=instance.pk, data=data, updated_by=self.context["request"].user)
