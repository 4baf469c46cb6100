from rest_framework import serializers

from calls.choices import CallbackOutcome, DashboardCallState, DashboardPeriod
from calls.models import CallSession, CallStatusUpdate


class CallStatusUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallStatusUpdate
        fields = ["id", "status", "message", "timestamp", "extra_data"]


class CallSessionSerializer(serializers.ModelSerializer):
    status_updates = CallStatusUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = CallSession
        fields = "__all__"


class CallCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1)
    debt = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    agent_number = serializers.CharField(
        required=False, allow_blank=True, max_length=20,
        help_text="Connect the customer to this agent instead of the collection call flow",
    )


class CallBatchFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DashboardCallState.choices, required=False, help_text="Dashboard call state")
    period = serializers.ChoiceField(choices=DashboardPeriod.choices, required=False, help_text="First uploaded today, yesterday or in the last 7 days")
    branch = serializers.CharField(required=False, max_length=200)
    cluster = serializers.CharField(required=False, max_length=100)
    min_days_past_due = serializers.IntegerField(required=False, min_value=0)


class CallBatchSerializer(serializers.Serializer):
    """Exactly one of ``upload``, ``customers``, ``debts`` or ``filter``."""

    upload = serializers.IntegerField(required=False, min_value=1, help_text="Call the matched customers of this upload's rows")
    rows = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=5000,
        help_text="Only these rows of the upload",
    )
    customers = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=5000)
    debts = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=5000)
    filter = CallBatchFilterSerializer(required=False)

    def validate(self, attrs):
        given = [key for key in ("upload", "customers", "debts", "filter") if attrs.get(key) not in (None, [])]
        if len(given) != 1:
            raise serializers.ValidationError("Give exactly one of upload, customers, debts or filter.")
        if attrs.get("rows") and "upload" not in attrs:
            raise serializers.ValidationError({"rows": "rows needs upload."})
        return attrs


class CallBatchSkipSerializer(serializers.Serializer):
    customer = serializers.IntegerField(allow_null=True)
    row = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class CallBatchResultSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the scheduled call sessions")
    skipped = CallBatchSkipSerializer(many=True)


class ExotelCallbackSerializer(serializers.Serializer):
    """Exotel's StatusCallback body (form-encoded or multipart)."""

    CallSid = serializers.CharField()
    Status = serializers.CharField(help_text="completed, failed, busy, no-answer (in-progress for the answered event)")
    DateUpdated = serializers.CharField(required=False, help_text="YYYY-MM-DD HH:mm:ss, Exotel account time")
    RecordingUrl = serializers.CharField(required=False, allow_blank=True)
    EventType = serializers.CharField(required=False, help_text="terminal or answered")
    ConversationDuration = serializers.IntegerField(required=False)
    CustomField = serializers.CharField(required=False, help_text="Our call session id")
    DateCreated = serializers.CharField(required=False)
    StartTime = serializers.CharField(required=False)
    EndTime = serializers.CharField(required=False)
    From = serializers.CharField(required=False)
    To = serializers.CharField(required=False)
    Direction = serializers.CharField(required=False)
    Legs = serializers.JSONField(required=False, help_text="Per-leg OnCallDuration and Status")


class WebhookAckSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=CallbackOutcome.choices)
    call = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()


class WebhookErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class DashboardLoanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    loan_id = serializers.CharField(allow_null=True)
    principal_amount = serializers.DecimalField(max_digits=16, decimal_places=2, source="original_amount")
    outstanding_amount = serializers.DecimalField(max_digits=16, decimal_places=2, source="current_balance")
    due_amount = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    next_due_date = serializers.DateField(source="due_date", allow_null=True)
    last_paid_date = serializers.DateField(source="last_payment_date", allow_null=True)
    last_paid_amount = serializers.DecimalField(max_digits=16, decimal_places=2, source="last_payment_amount", allow_null=True)
    status = serializers.CharField()
    currency = serializers.CharField()
    state = serializers.CharField()
    cluster = serializers.CharField()
    branch = serializers.CharField()
    branch_contact = serializers.CharField()
    employee_name = serializers.CharField()
    employee_id = serializers.CharField()
    employee_contact = serializers.CharField()


class DashboardCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    primary_phone = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    state = serializers.CharField()
    do_not_call = serializers.BooleanField()
    first_uploaded_at = serializers.DateTimeField(allow_null=True, help_text="Upload date")
    last_contact_date = serializers.DateTimeField(allow_null=True)
    loan_count = serializers.IntegerField()
    total_principal = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    total_outstanding = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    total_due = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    call_state = serializers.ChoiceField(choices=DashboardCallState.choices, help_text="ready, waiting (for calling hours), calling, completed or failed")
    latest_call_id = serializers.IntegerField(allow_null=True)
    latest_call_status = serializers.CharField(allow_null=True)
    latest_call_at = serializers.DateTimeField(allow_null=True)
    loans = DashboardLoanSerializer(many=True)


class ChartSeriesSerializer(serializers.Serializer):
    label = serializers.CharField()
    calls = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    data = serializers.ListField(child=serializers.FloatField(allow_null=True))


class OutcomeSeriesSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    data = serializers.ListField(child=serializers.IntegerField())


class CallChartsSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField())
    outcomes = OutcomeSeriesSerializer(many=True)
    by_branch = ChartSeriesSerializer(many=True)
    by_employee = ChartSeriesSerializer(many=True)
    unavailable = serializers.CharField(
        required=False, help_text="Present when the charts cannot be drawn (the database has no time-zone tables): why, and how to fix it",
    )
