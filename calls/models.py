"""Collection calls and their status history (seeds 001/003, steps 3–4)."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from calls.choices import CallStatus, TelephonyProvider
from core.models import TimeStampedModel


class CallSession(TimeStampedModel):
    """One call placed (or to be placed) to a customer."""

    call_sid = models.CharField(max_length=64, unique=True, null=True, blank=True, help_text="Provider's call id (Exotel Call.Sid)")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="call_sessions")
    debt = models.ForeignKey("debts.Debt", null=True, blank=True, on_delete=models.SET_NULL, related_name="call_sessions")
    provider = models.CharField(max_length=16, choices=TelephonyProvider.choices, default=TelephonyProvider.SIMULATOR)
    to_number = models.CharField(max_length=20)
    from_number = models.CharField(max_length=20, blank=True, help_text="CallerId / agent number")
    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.SCHEDULED, db_index=True)

    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    initiated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0, help_text="Requests made to the provider to place this call")
    error_message = models.TextField(blank=True)
    # A worker that is placing the call holds this lease; the session stays
    # "scheduled" until the provider accepts it, so the lease is what stops a
    # second worker (beat re-enqueue, duplicate task) from dialling it twice.
    dispatch_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    triggered_by_batch = models.ForeignKey(
        "uploads.FileUpload", null=True, blank=True, on_delete=models.SET_NULL, related_name="triggered_call_sessions"
    )
    triggered_by_row = models.ForeignKey(
        "uploads.UploadRow", null=True, blank=True, on_delete=models.SET_NULL, related_name="triggered_call_sessions"
    )
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    websocket_session_id = models.CharField(max_length=100, blank=True)
    provider_data = models.JSONField(default=dict, blank=True, help_text="Provider's raw payloads (legs, timings)")
    call_metadata = models.JSONField(default=dict, blank=True, help_text="Conversation details")

    class Meta:
        db_table = "call_sessions"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="call_status_updated"),
            # The dashboard's "latest call of each customer" subquery.
            models.Index(fields=["customer", "created_at"], name="call_customer_created"),
            models.Index(fields=["status", "scheduled_for"], name="call_status_scheduled"),
        ]
        permissions = [("trigger_call", "Can trigger collection calls")]

    def __str__(self):
        return f"Call {self.call_sid or self.pk} to {self.to_number} ({self.status})"


class CallStatusUpdate(models.Model):
    """One step of a call's life. A status is recorded once per call, so a
    repeated or concurrent callback cannot add a second row."""

    call_session = models.ForeignKey(CallSession, on_delete=models.CASCADE, related_name="status_updates")
    status = models.CharField(max_length=16, choices=CallStatus.choices)
    message = models.TextField(blank=True)
    timestamp = models.DateTimeField(db_index=True)
    extra_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "call_status_updates"
        ordering = ["call_session_id", "timestamp", "id"]
        constraints = [models.UniqueConstraint(fields=["call_session", "status"], name="one_update_per_call_status")]

    def __str__(self):
        return f"{self.call_session_id} → {self.status}"


class UnmatchedCallback(models.Model):
    """A provider callback for a CallSid we do not know, kept for reconciliation.

    Its CustomField alone never binds it to a call session (anyone holding
    the webhook URL can write one): it stays here until the session learns
    the sid from the provider's own answer to our connect request, or until
    reconciliation asks the provider about the sid and the provider's record
    matches the session (``checked_at``/``check_result`` say what it said)."""

    provider = models.CharField(max_length=16, choices=TelephonyProvider.choices, default=TelephonyProvider.EXOTEL)
    call_sid = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=32, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciled_session = models.ForeignKey(CallSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True, help_text="When the provider was last asked about this sid")
    check_result = models.CharField(max_length=300, blank=True, help_text="What the provider's record said")

    class Meta:
        db_table = "call_unmatched_callbacks"
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["reconciled_at", "call_sid"], name="unmatched_open_sid")]

    def __str__(self):
        return f"Unmatched {self.call_sid} {self.status}"
