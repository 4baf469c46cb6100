from django.db import models


class CallStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    INITIATED = "initiated", "Initiated"
    RINGING = "ringing", "Ringing"
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    BUSY = "busy", "Busy"
    NO_ANSWER = "no-answer", "No answer"
    CANCELED = "canceled", "Canceled"


FINAL_CALL_STATUSES = frozenset(
    {CallStatus.COMPLETED, CallStatus.FAILED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.CANCELED}
)

# Status only moves forward: a callback may skip steps but never go back.
CALL_STATUS_RANK = {
    CallStatus.SCHEDULED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    CallStatus.COMPLETED: 4,
    CallStatus.FAILED: 4,
    CallStatus.BUSY: 4,
    CallStatus.NO_ANSWER: 4,
    CallStatus.CANCELED: 4,
}


class TelephonyProvider(models.TextChoices):
    EXOTEL = "exotel", "Exotel"
    SIMULATOR = "simulator", "Simulator"


class DashboardCallState(models.TextChoices):
    """The dashboard's view of a customer's latest call: the badge each row shows."""

    READY = "ready", "Ready (never called)"
    # Scheduled, but outside the customer's calling hours: nobody is being
    # called yet, so it is not "Calling" (the row says when it will be placed).
    WAITING = "waiting", "Waiting for calling hours"
    CALLING = "calling", "Calling"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed / not reached"


class DashboardPeriod(models.TextChoices):
    TODAY = "today", "Today"
    YESTERDAY = "yesterday", "Yesterday"
    WEEK = "week", "Last 7 days"


class CallbackOutcome(models.TextChoices):
    APPLIED = "applied", "Applied (status moved forward)"
    DUPLICATE = "duplicate", "Duplicate (nothing new)"
    LATE = "late", "Late (recorded; call already further along)"
    UNMATCHED = "unmatched", "Unknown CallSid (stored for reconciliation)"
