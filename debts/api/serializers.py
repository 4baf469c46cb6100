"""Collections API shapes. Field names are seed 002's; foreign keys are ids.

Every create/update is handed to ``debts.services``; the serializer only
parses and shapes.
"""
from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import MaskedCharField, changed_fields
from customers.models import Customer
from debts import services
from debts.choices import DebtStatus, PromiseStatus
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class DebtSerializer(serializers.ModelSerializer):
    account_number = MaskedCharField(required=False, allow_blank=True, help_text="Clear on input; last four only on output")
    current_balance = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, help_text="Defaults to original_amount; afterwards moved only by payments"
    )
    loan_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=100)
    # Loan-book names (seeds 001/003), read-only aliases.
    principal_amount = serializers.DecimalField(source="original_amount", max_digits=16, decimal_places=2, read_only=True)
    outstanding_amount = serializers.DecimalField(source="current_balance", max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = Debt
        exclude = ["account_number_hash", "source_upload"]
        read_only_fields = [
            "status", "days_past_due", "last_payment_date", "last_payment_amount", "settled_amount", "closed_at",
            "closed_by", "closed_reason", "created_at", "updated_at",
        ]

    def create(self, validated_data):
        customer = validated_data.pop("customer")
        return services.debt_create(customer_id=customer.pk, created_by=_user(self), **validated_data)

    def update(self, instance, validated_data):
        data = changed_fields(instance, validated_data)
        if "customer" in data:
            raise serializers.ValidationError({"customer": "A debt cannot move to another customer."})
        return services.debt_update(debt_id=instance.pk, data=data, updated_by=_user(self))


class DebtSettleSerializer(serializers.Serializer):
    settled_amount = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Amount accepted in full satisfaction")
    reason = serializers.CharField(help_text="Why the debt is settled for less")


class DebtWriteOffSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the debt is written off")


class DebtStatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION, DebtStatus.DEFAULTED])
    reason = serializers.CharField(required=False, allow_blank=True)


class PaymentSerializer(serializers.ModelSerializer):
    # Optional on create; when given it must be the debt's customer (the
    # service refuses another, naming both), never silently replaced.
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), required=False,
        help_text="The debt's customer; defaults to it, and naming another customer is refused",
    )
    payment_date = serializers.DateTimeField(
        required=False, help_text="Defaults to now; not in the future, not before the debt's issue_date"
    )
    # Uniqueness is the service's business: replaying a transaction_id
    # answers the payment already recorded (idempotent), not a 400.
    transaction_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=100)

    class Meta:
        model = Payment
        fields = [
            "id", "customer", "debt", "amount", "payment_date", "payment_method", "transaction_id", "status", "notes",
            "completed_at", "refunded_at", "refund_reason", "refunded_by", "voided_at", "void_reason", "voided_by",
            "failure_reason", "recorded_by", "created_at", "updated_at",
        ]
        read_only_fields = [
            "completed_at", "refunded_at", "refund_reason", "refunded_by", "voided_at", "void_reason", "voided_by",
            "failure_reason", "recorded_by", "created_at", "updated_at",
        ]
        extra_kwargs = {
            "status": {"help_text": "On create: PENDING (default) or COMPLETED to apply it at once; afterwards use complete/, fail/, void/ and refund/."},
        }

    def create(self, validated_data):
        debt = validated_data.pop("debt")
        customer = validated_data.pop("customer", None)
        txid = (validated_data.get("transaction_id") or "").strip()
        self.replayed = bool(txid) and Payment.objects.filter(transaction_id=txid).exists()
        return services.payment_create(
            debt_id=debt.pk, customer_id=getattr(customer, "pk", None), recorded_by=_user(self), **validated_data
        )

    def update(self, instance, validated_data):
        data = changed_fields(instance, validated_data)
        if "debt" in data:
            raise serializers.ValidationError({"debt": "A payment cannot move to another debt; void it and record a new one."})
        if "customer" in data:
            raise serializers.ValidationError({"customer": "A payment is for its debt's customer; it cannot move to another."})
        if "status" in data:
            raise serializers.ValidationError({"status": "Use POST payments/{id}/complete/, fail/, void/ or refund/ to change the status."})
        return services.payment_update(payment_id=instance.pk, data=data, updated_by=_user(self))


class PaymentRefundSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the money is given back (required; the history's change reason)")


class PaymentVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the pending payment is cancelled (required; the history's change reason)")


class PaymentFailSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, help_text="What the provider said")


class CommunicationLogSerializer(serializers.ModelSerializer):
    timestamp = serializers.DateTimeField(required=False, help_text="When the contact happened; defaults to now")
    agent_id = serializers.CharField(
        required=False, allow_blank=True, max_length=100,
        help_text="The authenticated user's username, always; naming anyone else is refused (400)",
    )

    class Meta:
        model = CommunicationLog
        fields = [
            "id", "customer", "debt", "call_session", "communication_type", "direction", "duration_seconds",
            "contact_phone", "contact_email", "outcome", "notes", "timestamp", "agent_id", "agent_user", "created_at", "updated_at",
        ]
        read_only_fields = ["agent_user", "created_at", "updated_at"]

    def create(self, validated_data):
        ids = {
            f"{name}_id": getattr(validated_data.pop(name, None), "pk", None) for name in ("customer", "debt", "call_session")
        }
        return services.communication_log_create(agent_user=_user(self), **ids, **validated_data)

    def update(self, instance, validated_data):
        return services.communication_log_update(log_id=instance.pk, data=changed_fields(instance, validated_data))


class PromiseToPaySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=PromiseStatus.choices, required=False,
        help_text="Set by the delinquency run (KEPT/BROKEN); an agent may only cancel a pending promise",
    )

    class Meta:
        model = PromiseToPay
        fields = [
            "id", "customer", "debt", "communication_log", "amount", "promised_date", "status", "amount_paid",
            "evaluated_at", "created_by", "notes", "created_at", "updated_at",
        ]
        read_only_fields = ["customer", "amount_paid", "evaluated_at", "created_by", "created_at", "updated_at"]

    def create(self, validated_data):
        if validated_data.pop("status", PromiseStatus.PENDING) != PromiseStatus.PENDING:
            raise serializers.ValidationError({"status": "A new promise is PENDING."})
        log = validated_data.pop("communication_log", None)
        return services.promise_create(
            debt_id=validated_data.pop("debt").pk,
            communication_log_id=getattr(log, "pk", None),
            created_by=_user(self),
            **validated_data,
        )

    def update(self, instance, validated_data):
        return services.promise_update(promise_id=instance.pk, data=changed_fields(instance, validated_data))


class AgingBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    balance = serializers.DecimalField(max_digits=18, decimal_places=2)


class AgingTotalsSerializer(serializers.Serializer):
    buckets = AgingBucketSerializer(many=True)
    total_count = serializers.IntegerField()
    total_balance = serializers.DecimalField(max_digits=18, decimal_places=2)


class AgingGroupSerializer(AgingTotalsSerializer):
    cluster = serializers.CharField(allow_null=True)
    branch = serializers.CharField(allow_null=True)


class AgingReportSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    totals = AgingTotalsSerializer()
    groups = AgingGroupSerializer(many=True)


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
