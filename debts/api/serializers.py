"""Collections API shapes. Field names are seed 002's; foreign keys are ids.

Every create/update is handed to ``debts.services``; the serializer only
parses and shapes.
"""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core.api.serializers import MaskedCharField, changed_fields
from core.money import format_ugx
from customers.models import Customer
from debts import services
from debts.choices import DebtStatus, PromiseStatus
from debts.models import ApprovalRequest, CommunicationLog, Debt, Disposition, Payment, PromiseToPay
from debts.selectors import dpd_bucket_of


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class MoneyDisplayField(serializers.Field):
    """``"UGX 1,250,000"`` beside a decimal field (``core.money.format_ugx``),
    read-only: the amount itself stays a decimal string in its own field.
    Null when the amount is null."""

    def __init__(self, source_field: str, currency_field: str | None = "currency", **kwargs):
        kwargs.update(source="*", read_only=True)
        self.source_field, self.currency_field = source_field, currency_field
        super().__init__(**kwargs)

    def to_representation(self, instance):
        value = getattr(instance, self.source_field, None)
        if value is None:
            return None
        currency = getattr(instance, self.currency_field, None) if self.currency_field else None
        return format_ugx(value, currency)


class MoneyDisplayFieldSchema(OpenApiSerializerFieldExtension):
    """The display fields are strings (or null) in the OpenAPI schema."""

    target_class = MoneyDisplayField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "nullable": True, "readOnly": True, "example": "UGX 1,250,000"}


class DebtSerializer(serializers.ModelSerializer):
    account_number = MaskedCharField(required=False, allow_blank=True, help_text="Clear on input; last four only on output")
    current_balance = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, help_text="Defaults to original_amount; afterwards moved only by payments"
    )
    loan_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=100)
    # Loan-book names (seeds 001/003), read-only aliases.
    principal_amount = serializers.DecimalField(source="original_amount", max_digits=16, decimal_places=2, read_only=True)
    outstanding_amount = serializers.DecimalField(source="current_balance", max_digits=16, decimal_places=2, read_only=True)
    # How a person reads the amounts ("UGX 1,250,000"); the decimals above stay strings.
    original_amount_display = MoneyDisplayField("original_amount")
    current_balance_display = MoneyDisplayField("current_balance")
    due_amount_display = MoneyDisplayField("due_amount")
    settled_amount_display = MoneyDisplayField("settled_amount")

    class Meta:
        model = Debt
        exclude = ["account_number_hash", "source_upload"]
        read_only_fields = [
            "status", "days_past_due", "last_payment_date", "last_payment_amount", "settled_amount", "closed_at",
            "closed_by", "closed_reason", "created_at", "updated_at", "assigned_to", "next_action_date",
        ]
        extra_kwargs = {
            "assigned_to": {"help_text": "The agent who works it; set through POST /api/v1/debts/assign/"},
            "next_action_date": {"help_text": "Back in the work queue on this day (the latest contact's next action)"},
        }

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
    amount_display = MoneyDisplayField("amount", currency_field=None)

    class Meta:
        model = Payment
        fields = [
            "id", "customer", "debt", "amount", "amount_display", "payment_date", "payment_method", "transaction_id", "status", "notes",
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
            "contact_phone", "contact_email", "disposition", "outcome", "next_action_date", "notes", "timestamp",
            "agent_id", "agent_user", "created_at", "updated_at",
        ]
        read_only_fields = ["agent_user", "created_at", "updated_at"]
        extra_kwargs = {
            "outcome": {"help_text": "The disposition's code (seed name); give disposition or outcome, a code from /api/v1/dispositions/"},
            "next_action_date": {"help_text": "Back in the work queue on this day (required by some dispositions)"},
        }

    disposition = serializers.SlugRelatedField(
        slug_field="code", queryset=Disposition.objects.all(), required=False, allow_null=True,
        help_text="What came of the contact: a code from /api/v1/dispositions/",
    )

    def create(self, validated_data):
        ids = {
            f"{name}_id": getattr(validated_data.pop(name, None), "pk", None) for name in ("customer", "debt", "call_session")
        }
        return services.communication_log_create(agent_user=_user(self), **ids, **validated_data)

    def validate_outcome(self, value):
        # Free text is refused here as in the service: a code or label of the list.
        return services.resolve_disposition(value, field="outcome").code if value else ""

    def update(self, instance, validated_data):
        return services.communication_log_update(log_id=instance.pk, data=changed_fields(instance, validated_data))


class PromiseToPaySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=PromiseStatus.choices, required=False,
        help_text="Set by the delinquency run (KEPT/BROKEN); an agent may only cancel a pending promise",
    )

    amount_display = MoneyDisplayField("amount", currency_field=None)
    amount_paid_display = MoneyDisplayField("amount_paid", currency_field=None)

    class Meta:
        model = PromiseToPay
        fields = [
            "id", "customer", "debt", "communication_log", "amount", "amount_display", "promised_date", "status", "amount_paid",
            "amount_paid_display",
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


# --------------------------------------------------------------------------
# The workbench: dispositions, the work queue, assignment, approvals


class DispositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disposition
        fields = ["id", "code", "label", "active", "is_right_party_contact", "needs_next_action", "sort_order"]


class WorkQueueRowSerializer(serializers.ModelSerializer):
    """One debt in the work queue, with why it is where it is."""

    customer_name = serializers.CharField(source="customer.full_name", read_only=True)
    customer_phone = serializers.CharField(source="customer.primary_phone", read_only=True)
    customer_timezone = serializers.CharField(source="customer.timezone", read_only=True)
    assigned_to_username = serializers.CharField(source="assigned_to.username", read_only=True, allow_null=True, default=None)
    dpd_bucket = serializers.SerializerMethodField()
    promise_today = serializers.BooleanField(read_only=True, help_text="A pending promise due today or earlier, or one broken today")
    callable_now = serializers.BooleanField(read_only=True, help_text="Inside calling hours in the customer's zone")
    amount_overdue = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    last_contact_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="The customer's last contact, local time")
    current_balance_display = MoneyDisplayField("current_balance")
    amount_overdue_display = MoneyDisplayField("amount_overdue")

    class Meta:
        model = Debt
        fields = [
            "id", "loan_id", "customer", "customer_name", "customer_phone", "customer_timezone", "status", "days_past_due",
            "dpd_bucket", "amount_overdue", "amount_overdue_display", "current_balance", "current_balance_display", "currency",
            "due_date", "promise_today", "callable_now", "last_contact_at", "next_action_date", "branch", "employee_id",
            "employee_name", "assigned_to", "assigned_to_username",
        ]
        read_only_fields = fields

    def get_dpd_bucket(self, debt) -> str:
        return dpd_bucket_of(debt.days_past_due)


class DebtAssignSerializer(serializers.Serializer):
    assigned_to = serializers.IntegerField(allow_null=True, help_text="The agent's user id; null unassigns")
    debt_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=10_000)
    branch = serializers.CharField(required=False, allow_blank=True, max_length=200)
    employee = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Loan-book employee id or name")
    upload = serializers.IntegerField(required=False, min_value=1, help_text="A loan-book upload id: its debts")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ApprovalRequestSerializer(serializers.ModelSerializer):
    amount_display = MoneyDisplayField("amount", currency_field=None)
    requested_by_username = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by_username = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id", "kind", "debt", "payment", "amount", "amount_display", "settled_amount", "reason", "status",
            "requested_by", "requested_by_username", "decided_by", "decided_by_username", "decided_at", "note",
            "created_at", "updated_at",
        ]
        read_only_fields = fields


class ApprovalCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["settle", "write_off", "refund"])
    debt = serializers.IntegerField(required=False, min_value=1, help_text="settle and write_off")
    payment = serializers.IntegerField(required=False, min_value=1, help_text="refund")
    settled_amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, help_text="settle")
    reason = serializers.CharField()


class ApprovalDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, help_text="Required to reject")
