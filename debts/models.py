"""Debts (seed 002 ``debts`` and seeds 001/003 ``loans`` are one model),
payments, communication logs and promises to pay."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.fields import EncryptedTextField, HashField
from core.masking import mask
from core.models import TimeStampedModel
from core.money import format_ugx
from debts.choices import (
    ApprovalKind,
    ApprovalStatus,
    CommunicationDirection,
    CommunicationType,
    DebtStatus,
    DebtType,
    PaymentMethod,
    PaymentStatus,
    PromiseStatus,
)

MONEY = {"max_digits": 16, "decimal_places": 2}


class Debt(TimeStampedModel):
    """Money a customer owes on one loan or account."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="debts")
    loan_id = models.CharField(max_length=100, unique=True, null=True, blank=True, help_text="External loan id (loan book)")
    debt_type = models.CharField(max_length=20, choices=DebtType.choices, default=DebtType.LOAN)

    original_amount = models.DecimalField(**MONEY, help_text="Principal / original amount")
    current_balance = models.DecimalField(**MONEY, help_text="Outstanding balance")
    due_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Amount currently due (loan book)")
    interest_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True, help_text="APR, percent")
    minimum_payment = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="UGX")

    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True, db_index=True, help_text="Next payment due date")
    last_payment_date = models.DateField(null=True, blank=True)
    last_payment_amount = models.DecimalField(**MONEY, null=True, blank=True)

    # Searched through the composite indexes below (status first): no index of its own.
    status = models.CharField(max_length=16, choices=DebtStatus.choices, default=DebtStatus.ACTIVE)
    days_past_due = models.PositiveIntegerField(default=0, db_index=True)

    account_number = EncryptedTextField(blank=True, default="", help_text="Encrypted at rest")
    account_number_hash = HashField(source="account_number", normalizer="digits", db_index=True)
    reference_number = models.CharField(max_length=100, blank=True, db_index=True)

    # Branch and employee (loan book, seeds 001/003)
    state = models.CharField(max_length=100, blank=True)
    cluster = models.CharField(max_length=100, blank=True, db_index=True)
    branch = models.CharField(max_length=200, blank=True)  # indexed by debt_branch_cluster
    branch_contact = models.CharField(max_length=32, blank=True)
    employee_name = models.CharField(max_length=200, blank=True)
    employee_id = models.CharField(max_length=50, blank=True)  # indexed by debt_employee_status
    employee_contact = models.CharField(max_length=32, blank=True)

    # Settlement / write-off (who and why)
    settled_amount = models.DecimalField(**MONEY, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_reason = models.TextField(blank=True)
    source_upload = models.ForeignKey("uploads.FileUpload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The collections agent who works this account (the work queue); set only
    # through the assignment services, which write history.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_debts",
        db_index=False,  # debt_assigned_status_next starts with it (and serves the foreign key)
    )

    # The latest contact's next action date (a disposition's "call back on
    # …"): the work queue leaves the debt out until that day. Written only by
    # ``debts.services.communication_log_create``.
    next_action_date = models.DateField(null=True, blank=True, help_text="Back in the work queue on this day")

    notes = models.TextField(blank=True)
    # History is read by debt (its ``id``) and date only: the list's search
    # and filter indexes are not copied onto it, so the loan-book import and
    # the nightly delinquency run write their history rows cheaply.
    history = HistoricalRecords(
        excluded_fields=["account_number", "account_number_hash"],
        no_db_index=[
            "customer", "loan_id", "due_date", "status", "days_past_due", "reference_number", "cluster", "branch", "employee_id",
            "closed_by", "source_upload", "assigned_to", "created_at",
        ],
    )

    class Meta:
        db_table = "debts"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="debt_status_due"),
            models.Index(fields=["branch", "cluster"], name="debt_branch_cluster"),
            # The work queue: an agent's open debts not snoozed, counted from
            # the index alone (bench/work_queue.py).
            models.Index(fields=["assigned_to", "status", "next_action_date"], name="debt_assigned_status_next"),
            models.Index(fields=["employee_id", "status"], name="debt_employee_status"),
            # The agents report's open accounts and balance per assignee, from
            # this index alone (reports.selectors.agents).
            models.Index(fields=["status", "assigned_to", "current_balance"], name="debt_status_assignee_balance"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(original_amount__gte=0), name="debt_original_amount_not_negative"),
            models.CheckConstraint(condition=Q(current_balance__gte=0), name="debt_current_balance_not_negative"),
            models.CheckConstraint(condition=Q(due_amount__isnull=True) | Q(due_amount__gte=0), name="debt_due_amount_not_negative"),
        ]
        permissions = [
            ("settle_debt", "Can settle a debt for less than its balance"),
            ("write_off_debt", "Can write off a debt"),
            ("export_debt", "Can export debts"),
            ("sync_balances", "Can let a loan book change an existing debt's balance, amount or status"),
            ("assign_debt", "Can assign debts to agents and see the team's work queue"),
        ]

    def __str__(self):
        # What a picker shows, so two Sarahs are told apart: the loan, whose
        # it is, the tail of their phone and what is left to pay.
        customer = self.customer if self.customer_id else None
        who = f" · {customer.full_name} ··{customer.primary_phone[-3:]}" if customer else ""
        return f"{self.loan_id or f'Debt #{self.pk}'}{who} · {format_ugx(self.current_balance, self.currency)}"

    @property
    def masked_account_number(self) -> str:
        return mask(self.account_number)


class Payment(TimeStampedModel):
    """A payment against a debt. Only a COMPLETED payment moves the balance,
    and only through ``debts.services``."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="payments")
    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    payment_date = models.DateTimeField()
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices, blank=True)
    transaction_id = models.CharField(max_length=100, unique=True, null=True, blank=True, help_text="External transaction id")
    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    refund_reason = models.TextField(blank=True)
    refunded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        db_table = "payments"
        ordering = ["-payment_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        indexes = [
            models.Index(fields=["debt", "status"], name="payment_debt_status"),
            # The reports read a date range of completed payments from this
            # index alone (reports.collected), in date order, not row by row.
            models.Index(fields=["status", "payment_date", "debt", "amount"], name="payment_status_date_cover"),
            # Which days' payments changed since the collections summary was
            # built (reports.collected.changed_days): every payments service
            # saves updated_at.
            models.Index(fields=["updated_at", "payment_date"], name="payment_updated_date"),
        ]
        # Refunding gives money back and voiding cancels a payment: each a
        # separate right from recording payments. Payments are never deleted.
        permissions = [
            ("refund_payment", "Can refund a completed payment"),
            ("void_payment", "Can void a pending payment"),
            ("export_payment", "Can export payments"),
        ]

    def __str__(self):
        return f"{format_ugx(self.amount)} on debt #{self.debt_id} ({self.get_status_display().lower()})"


class Disposition(models.Model):
    """What came of a contact, from a list ops manage in the admin (``no_answer``,
    ``payment_promised``…). Free text about the contact goes in the log's note."""

    code = models.SlugField(max_length=32, unique=True)
    label = models.CharField(max_length=100)
    active = models.BooleanField(default=True, help_text="Offered for new contacts; old logs keep it either way")
    is_right_party_contact = models.BooleanField(default=False, help_text="The customer themself was reached")
    needs_next_action = models.BooleanField(default=False, help_text="A next action date is required with it")
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        db_table = "dispositions"
        ordering = ["sort_order", "label"]

    def __str__(self):
        return self.label


class CommunicationLog(models.Model):
    """Every contact with a customer, on any channel (seed 002)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="communication_logs")
    debt = models.ForeignKey(Debt, null=True, blank=True, on_delete=models.SET_NULL, related_name="communication_logs")
    call_session = models.ForeignKey(
        "calls.CallSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="communication_logs"
    )
    communication_type = models.CharField(max_length=12, choices=CommunicationType.choices, db_index=True)
    direction = models.CharField(max_length=8, choices=CommunicationDirection.choices)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    contact_email = models.EmailField(blank=True)
    # The disposition's code, kept beside the foreign key for the readers and
    # filters that know the seed's ``outcome`` name; both are written together
    # by the service and never differ.
    outcome = models.CharField(max_length=32, blank=True, db_index=True)
    disposition = models.ForeignKey(Disposition, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    next_action_date = models.DateField(null=True, blank=True, help_text="Back in the work queue on this day")
    notes = models.TextField(blank=True)
    timestamp = models.DateTimeField(db_index=True)
    agent_id = models.CharField(max_length=100, blank=True, help_text="Agent or system that made the contact")
    agent_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "communication_logs"
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["customer", "timestamp"], name="log_customer_timestamp"),
            # The agents report counts a range's contacts per agent from this
            # index alone (reports.selectors.agents).
            models.Index(fields=["timestamp", "agent_user", "outcome"], name="log_time_agent_outcome"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["call_session"], name="one_log_per_call_session"),
        ]

    def __str__(self):
        # What the promise form's contact picker shows: when (local time), who, how and what came of it.
        when = timezone.localtime(self.timestamp).strftime("%Y-%m-%d %H:%M") if self.timestamp else "—"
        who = f" · {self.customer.full_name}" if self.customer_id else ""
        what = self.disposition.label if self.disposition_id else self.outcome
        return f"{when}{who} · {self.get_communication_type_display()} {self.direction}" + (f" · {what}" if what else "")


class PromiseToPay(TimeStampedModel):
    """A customer's promise, recorded from a contact, judged kept or broken."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="promises")
    debt = models.ForeignKey(Debt, on_delete=models.CASCADE, related_name="promises")
    communication_log = models.ForeignKey(
        CommunicationLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises"
    )
    amount = models.DecimalField(**MONEY)
    promised_date = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.PENDING, db_index=True)
    amount_paid = models.DecimalField(**MONEY, default=0)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)

    class Meta:
        db_table = "promises_to_pay"
        verbose_name = "promise to pay"
        verbose_name_plural = "promises to pay"
        ordering = ["promised_date", "id"]
        indexes = [
            models.Index(fields=["debt", "status", "promised_date"], name="promise_debt_status_date"),
            # The agents report counts a range's promises per agent from this
            # index alone (reports.selectors.agents).
            models.Index(fields=["created_at", "created_by"], name="promise_created_agent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="promise_amount_paid_not_negative"),
        ]

    def __str__(self):
        return f"{format_ugx(self.amount)} by {self.promised_date:%Y-%m-%d} ({self.get_status_display().lower()})"


class ApprovalRequest(TimeStampedModel):
    """A settle, write-off or refund above ``APPROVAL_THRESHOLD_UGX``, asked for
    by one person and decided by another (four eyes). Nothing moves until it
    is approved; ``debts.services.approvals`` then calls the settle,
    write-off or refund service."""

    kind = models.CharField(max_length=12, choices=ApprovalKind.choices, db_index=True)
    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="approval_requests")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="approval_requests")
    amount = models.DecimalField(**MONEY, help_text="Money at stake: the forgiven part, the written-off balance, the refund")
    settled_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Settle only: the amount accepted")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="The decider's note")
    history = HistoricalRecords()

    class Meta:
        db_table = "approval_requests"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="approval_amount_not_negative"),
            models.CheckConstraint(condition=~Q(kind="refund") | Q(payment__isnull=False), name="approval_refund_names_payment"),
            # The four eyes, as a rule of the table too.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")), name="approval_decider_not_requester"
            ),
        ]
        permissions = [("approve_request", "Can approve or reject another person's settle, write-off or refund request")]

    def __str__(self):
        return f"{self.get_kind_display()} of debt {self.debt_id} ({self.status})"
