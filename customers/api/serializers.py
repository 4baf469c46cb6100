from rest_framework import serializers

from customers.models import BankAccount, Customer


class CustomerSerializer(serializers.ModelSerializer):
    """Personal identifiers leave the API masked (last four only)."""

    ssn = serializers.CharField(source="masked_ssn", read_only=True)
    national_id = serializers.CharField(source="masked_national_id", read_only=True)
    phone_primary = serializers.CharField(source="primary_phone", read_only=True)
    phone_secondary = serializers.CharField(source="secondary_phone", read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id", "cust_id", "fingerprint", "full_name", "business_name", "first_name", "middle_name", "last_name",
            "date_of_birth", "ssn", "national_id", "email", "primary_phone", "secondary_phone", "phone_primary",
            "phone_secondary", "address_line1", "address_line2", "city", "state", "zip_code", "country", "timezone",
            "employer_name", "employment_status", "annual_income", "account_status", "credit_score", "do_not_call",
            "first_uploaded_at", "last_contact_date", "relationship_manager", "notes", "created_at", "updated_at",
        ]
        read_only_fields = fields


class BankAccountSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="masked_account_number", read_only=True)
    routing_number = serializers.CharField(source="masked_routing_number", read_only=True)

    class Meta:
        model = BankAccount
        fields = [
            "id", "customer", "account_type", "account_number", "routing_number", "bank_name", "is_active",
            "is_primary", "notes", "created_at", "updated_at",
        ]
        read_only_fields = fields
