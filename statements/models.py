"""Mobile-money statements: the file's metadata, its raw and processed
transactions, and the verification summary (seed 004's ``metadata``,
``raw_statements``, ``processed_statements`` and ``summary``).

Every table carries ``acc_prvdr_code``: providers share tables (seed 004),
and the provider / provider+account indexes keep per-provider queries fast.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel
from statements.choices import (
    BalanceMatch,
    Direction,
    ImportJobStatus,
    ImportTrigger,
    ReviewDecision,
    StatementFormat,
    StatementStatus,
    TamperingLevel,
    VerificationStatus,
)

# No fixed choices: a code mapper.csv brings (UMTN2) is stored as itself
# and read by the family PROVIDER_FAMILIES maps it to (issue 18).
PROVIDER_HELP = "Provider code (acc_prvdr_code): UATL, UMTN, or a code PROVIDER_FAMILIES maps to one of them"

MONEY = {"max_digits": 18, "decimal_places": 2}


def _provider_indexes(prefix: str) -> list[models.Index]:
    return [
        models.Index(fields=["acc_prvdr_code"], name=f"{prefix}_provider"),
        models.Index(fields=["acc_prvdr_code", "acc_number"], name=f"{prefix}_provider_acc"),
    ]


class StatementImport(TimeStampedModel):
    """One import job: a batch of statement files, from any entry point."""

    trigger = models.CharField(max_length=16, choices=ImportTrigger.choices)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_by_label = models.CharField(max_length=200, blank=True, help_text="Who or what started it, when not a user")
    status = models.CharField(max_length=32, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED, db_index=True)
    provider_hint = models.CharField(max_length=8, blank=True, help_text=PROVIDER_HELP)
    run_id_hint = models.CharField(max_length=64, blank=True)
    total_files = models.PositiveIntegerField(default=0)
    processed_files = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    results = models.JSONField(default=list, blank=True, help_text="Per-file outcome")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker started this job; past JOB_MAX_ATTEMPTS it is failed, never queued again"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import #{self.pk} ({self.get_trigger_display()}, {self.status})"


class Statement(TimeStampedModel):
    """One statement file (seed 004 ``metadata``)."""

    run_id = models.CharField(max_length=64, blank=True, db_index=True)
    acc_prvdr_code = models.CharField(max_length=8, help_text=PROVIDER_HELP)
    acc_number = models.CharField(max_length=32, blank=True)
    alt_acc_num = models.CharField(max_length=32, blank=True)
    format = models.CharField(max_length=16, choices=StatementFormat.choices, default=StatementFormat.UNKNOWN)
    pdf_format = models.PositiveSmallIntegerField(null=True, blank=True)

    # The file
    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="statements/%Y/%m/", blank=True, max_length=500)
    file_sha256 = models.CharField(max_length=64, unique=True, null=True, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    import_job = models.ForeignKey(StatementImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements")

    # Page-1 header fields
    customer_name = models.CharField(max_length=300, blank=True)
    mobile_number = models.CharField(max_length=32, blank=True)
    email_address = models.CharField(max_length=254, blank=True)
    statement_period = models.CharField(max_length=100, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    request_date = models.DateField(null=True, blank=True)
    opening_balance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Stated on page 1")
    closing_balance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Stated on page 1")
    total_credit = models.DecimalField(**MONEY, null=True, blank=True, help_text="Stated on page 1")
    total_debit = models.DecimalField(**MONEY, null=True, blank=True, help_text="Stated on page 1")
    header_fields = models.JSONField(default=dict, blank=True, help_text="Every page-1 field as read (raw text)")

    # PDF metadata
    pdf_title = models.CharField(max_length=255, blank=True)
    pdf_author = models.CharField(max_length=255, blank=True)
    pdf_creator = models.CharField(max_length=255, blank=True)
    pdf_producer = models.CharField(max_length=255, blank=True)
    pdf_created_at = models.DateTimeField(null=True, blank=True)
    pdf_modified_at = models.DateTimeField(null=True, blank=True)
    pdf_created_raw = models.CharField(max_length=64, blank=True)
    pdf_modified_raw = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)

    # Outcome
    status = models.CharField(max_length=32, choices=StatementStatus.choices, default=StatementStatus.IMPORTED, db_index=True)
    failure_reason = models.TextField(blank=True)
    num_rows = models.PositiveIntegerField(default=0)
    parsed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    # Enrichment (seed 000)
    customer_details = models.ForeignKey(
        "details.CustomerDetails", null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="statements")
    cust_id = models.CharField(max_length=64, blank=True, db_index=True)
    rm_name = models.CharField(max_length=300, blank=True, db_index=True)
    enriched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "metadata"
        ordering = ["-created_at", "-id"]
        indexes = _provider_indexes("stmt") + [
            models.Index(fields=["status", "acc_prvdr_code"], name="stmt_status_provider"),
            # acc_number alone: the list/download filter and the analytics'
            # "accounts under more than one provider" (statements.analytics) group by it.
            models.Index(fields=["acc_number"], name="stmt_acc_number"),
        ]
        permissions = [
            ("reprocess_statement", "Can re-verify and reprocess statements"),
            # Every transaction-level read (API lists, a statement's transactions,
            # the CSV downloads, the pages' transaction table, the admin lists).
            ("download_statement", "Can read and download statement transactions"),
            # A person's accept / reject / escalate beside the machine's verdict.
            ("review_statement", "Can record a review decision on a statement"),
        ]

    def __str__(self):
        return f"{self.acc_prvdr_code} {self.acc_number or '?'} {self.run_id or self.file_name}"


class RawTransaction(models.Model):
    """A transaction exactly as read from the file (seed 004 ``raw_statements``).

    Each cleaned value sits beside the raw text it came from.
    """

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="raw_transactions")
    acc_prvdr_code = models.CharField(max_length=8, help_text=PROVIDER_HELP)
    acc_number = models.CharField(max_length=32, blank=True)
    run_id = models.CharField(max_length=64, blank=True)
    row_number = models.PositiveIntegerField(help_text="Order in the file, from 1")
    page_number = models.PositiveIntegerField(null=True, blank=True)

    txn_id = models.CharField(max_length=100, blank=True)
    txn_date = models.DateTimeField(null=True, blank=True)
    txn_type = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    from_acc = models.CharField(max_length=100, blank=True)
    to_acc = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=50, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Signed: credits positive, debits negative")
    fee = models.DecimalField(**MONEY, null=True, blank=True)
    balance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Stated running balance")
    # MTN MoMo PDFs' Taxes column (0 where a format has none): the balance moves by amount + fee + tax.
    tax = models.DecimalField(**MONEY, default=0, db_default=0)

    raw_date = models.CharField(max_length=64, blank=True)
    raw_amount = models.CharField(max_length=64, blank=True)
    raw_fee = models.CharField(max_length=64, blank=True)
    raw_balance = models.CharField(max_length=64, blank=True)
    has_quality_issue = models.BooleanField(default=False)
    extra = models.JSONField(default=dict, blank=True, help_text="Provider-specific columns")

    class Meta:
        db_table = "raw_statements"
        ordering = ["statement_id", "row_number"]
        indexes = _provider_indexes("rawtxn") + [models.Index(fields=["statement", "row_number"], name="rawtxn_stmt_row")]

    def __str__(self):
        return f"{self.txn_id} {self.amount}"


class ProcessedTransaction(models.Model):
    """A transaction after verification (seed 004 ``processed_statements``)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="processed_transactions")
    raw = models.ForeignKey(RawTransaction, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    acc_prvdr_code = models.CharField(max_length=8, help_text=PROVIDER_HELP)
    acc_number = models.CharField(max_length=32, blank=True)
    run_id = models.CharField(max_length=64, blank=True)
    sequence = models.PositiveIntegerField(help_text="Order after sorting, from 1")

    txn_id = models.CharField(max_length=100, blank=True)
    txn_date = models.DateTimeField(null=True, blank=True)
    txn_type = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=50, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    fee = models.DecimalField(**MONEY, null=True, blank=True)
    # MTN MoMo PDFs' Taxes column (0 where a format has none): the balance moves by amount + fee + tax.
    tax = models.DecimalField(**MONEY, default=0, db_default=0)
    balance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Stated balance")
    calculated_running_balance = models.DecimalField(**MONEY, null=True, blank=True)
    balance_diff = models.DecimalField(**MONEY, null=True, blank=True, help_text="calculated − stated")
    implicit_charge = models.DecimalField(**MONEY, null=True, blank=True)

    is_duplicate = models.BooleanField(default=False)
    is_special = models.BooleanField(default=False)
    special_type = models.CharField(max_length=64, blank=True)
    has_quality_issue = models.BooleanField(default=False)
    # The other side (statements.engine.counterparty): From/To or the description, a name written twice kept once.
    # A database default too: rows written by raw SQL (bench/statements_ops_api.py) leave them out.
    counterparty_number = models.CharField(max_length=32, blank=True, default="", db_default="", db_index=True)
    counterparty_name = models.CharField(max_length=100, blank=True, default="", db_default="", db_index=True)

    class Meta:
        db_table = "processed_statements"
        ordering = ["statement_id", "sequence"]
        indexes = _provider_indexes("proctxn") + [models.Index(fields=["statement", "sequence"], name="proctxn_stmt_seq")]

    def __str__(self):
        return f"{self.txn_id} {self.amount} → {self.calculated_running_balance}"


class StatementSummary(TimeStampedModel):
    """Per-statement verification figures (seed 004 ``summary``)."""

    statement = models.OneToOneField(Statement, on_delete=models.CASCADE, related_name="summary")
    acc_prvdr_code = models.CharField(max_length=8, help_text=PROVIDER_HELP)
    acc_number = models.CharField(max_length=32, blank=True)
    run_id = models.CharField(max_length=64, blank=True)

    num_rows = models.PositiveIntegerField(default=0)
    first_txn_date = models.DateTimeField(null=True, blank=True)
    last_txn_date = models.DateTimeField(null=True, blank=True)
    credits = models.DecimalField(**MONEY, default=0)
    debits = models.DecimalField(**MONEY, default=0)
    fees = models.DecimalField(**MONEY, default=0)
    taxes = models.DecimalField(**MONEY, default=0, db_default=0, help_text="MTN MoMo PDFs' Taxes column, apart from the fees")
    opening_balance_stated = models.DecimalField(**MONEY, null=True, blank=True)
    opening_balance_calculated = models.DecimalField(**MONEY, null=True, blank=True)
    closing_balance_stated = models.DecimalField(**MONEY, null=True, blank=True)
    closing_balance_calculated = models.DecimalField(**MONEY, null=True, blank=True)

    duplicate_count = models.PositiveIntegerField(default=0)
    quality_issues_count = models.PositiveIntegerField(default=0)
    header_row_manipulation_count = models.PositiveIntegerField(default=0)
    special_txn_count = models.PositiveIntegerField(default=0)
    balance_match = models.CharField(max_length=8, choices=BalanceMatch.choices, blank=True, db_index=True)
    balance_diff_changes = models.PositiveIntegerField(default=0)
    balance_diff_change_ratio = models.DecimalField(max_digits=9, decimal_places=6, default=0)
    missing_days_detected = models.BooleanField(default=False)
    gap_related_balance_changes = models.PositiveIntegerField(default=0)
    uses_implicit_ind02_commission = models.BooleanField(default=False)
    uses_implicit_merchant_cashback = models.BooleanField(default=False)

    verification_status = models.CharField(max_length=8, choices=VerificationStatus.choices, blank=True, db_index=True)
    verification_reason = models.TextField(blank=True)
    tampering_level = models.CharField(max_length=10, choices=TamperingLevel.choices, default=TamperingLevel.NO_ISSUES, db_index=True)
    tampering_reason = models.TextField(blank=True)
    # 0 (clean) to 100 (certainly edited), and the reasons behind it: a list of
    # {"code", "message", "weight", "page", "row", "field"} (the forensics issue).
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    risk_reasons = models.JSONField(default=list, blank=True)
    # The counterparty that sent the most money in (payer) and received the
    # most money out (payee), as ``selectors.top_counterparties`` groups them
    # (issue 18): one row per statement, so the unified_statements view can
    # carry them. Written with the processed rows; backfill_counterparties
    # fills them for statements stored before.
    top_payer_number = models.CharField(max_length=32, blank=True, default="", db_default="")
    top_payer_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    top_payer_amount = models.DecimalField(**MONEY, null=True, blank=True)
    top_payee_number = models.CharField(max_length=32, blank=True, default="", db_default="")
    top_payee_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    top_payee_amount = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        db_table = "summary"
        verbose_name_plural = "statement summaries"
        indexes = _provider_indexes("summary")

    def __str__(self):
        return f"Summary of {self.statement_id}: {self.verification_status}"


class StatementReview(models.Model):
    """A person's decision on a statement: accept, reject or escalate, with a
    required note (written by ``statements.services.statement_review_record``).

    Append-only: the rows are the review history. A new decision adds a row,
    none is ever edited or deleted, and none changes the engine's verdict
    (the summary's verification status and tampering level), whose values
    at the time of the decision are kept on the row.
    """

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=16, choices=ReviewDecision.choices)
    note = models.TextField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The machine's verdict the reviewer saw.
    statement_status = models.CharField(max_length=32, choices=StatementStatus.choices)
    verification_status = models.CharField(max_length=8, choices=VerificationStatus.choices, blank=True)
    tampering_level = models.CharField(max_length=10, choices=TamperingLevel.choices, blank=True)

    class Meta:
        db_table = "statement_reviews"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["statement", "-created_at"], name="stmtreview_stmt_created")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(note=""), name="stmtreview_note_required"),
            models.CheckConstraint(condition=models.Q(decision__in=ReviewDecision.values), name="stmtreview_decision_valid"),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} on statement {self.statement_id}"


class UnifiedStatement(models.Model):
    """Read-only rows of the ``unified_statements`` database view (seed 000).

    One row per statement: the file's metadata, its verification summary and
    the borrower context of its statement request, so analysts can query
    flagged statements with borrower context in plain SQL. Created by
    migration ``0002_unified_statements_view``; every column a statement or
    request does not have is NULL (never ''), so ``cust_id IS NOT NULL``
    means "linked to a customer".
    """

    statement = models.OneToOneField(Statement, primary_key=True, db_column="id", on_delete=models.DO_NOTHING, related_name="+")
    # metadata
    run_id = models.CharField(max_length=64)
    acc_prvdr_code = models.CharField(max_length=8, help_text=PROVIDER_HELP)
    acc_number = models.CharField(max_length=32)
    alt_acc_num = models.CharField(max_length=32)
    format = models.CharField(max_length=16, choices=StatementFormat.choices)
    pdf_format = models.PositiveSmallIntegerField(null=True)
    file_name = models.CharField(max_length=255)
    customer_name = models.CharField(max_length=300)
    mobile_number = models.CharField(max_length=32)
    statement_period = models.CharField(max_length=100)
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    request_date = models.DateField(null=True)
    opening_balance = models.DecimalField(**MONEY, null=True)
    closing_balance = models.DecimalField(**MONEY, null=True)
    total_credit = models.DecimalField(**MONEY, null=True)
    total_debit = models.DecimalField(**MONEY, null=True)
    pdf_title = models.CharField(max_length=255)
    pdf_author = models.CharField(max_length=255)
    pdf_creator = models.CharField(max_length=255)
    pdf_producer = models.CharField(max_length=255)
    pdf_created_at = models.DateTimeField(null=True)
    pdf_modified_at = models.DateTimeField(null=True)
    page_count = models.PositiveIntegerField(null=True)
    status = models.CharField(max_length=32, choices=StatementStatus.choices)
    failure_reason = models.TextField()
    num_rows = models.PositiveIntegerField()
    parsed_at = models.DateTimeField(null=True)
    verified_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField()
    import_job_id = models.BigIntegerField(null=True)
    rm_name = models.CharField(max_length=300, null=True, help_text="Statement's RM, else the request's")
    # summary
    first_txn_date = models.DateTimeField(null=True)
    last_txn_date = models.DateTimeField(null=True)
    credits = models.DecimalField(**MONEY, null=True)
    debits = models.DecimalField(**MONEY, null=True)
    fees = models.DecimalField(**MONEY, null=True)
    opening_balance_stated = models.DecimalField(**MONEY, null=True)
    opening_balance_calculated = models.DecimalField(**MONEY, null=True)
    closing_balance_stated = models.DecimalField(**MONEY, null=True)
    closing_balance_calculated = models.DecimalField(**MONEY, null=True)
    duplicate_count = models.PositiveIntegerField(null=True)
    quality_issues_count = models.PositiveIntegerField(null=True)
    header_row_manipulation_count = models.PositiveIntegerField(null=True)
    special_txn_count = models.PositiveIntegerField(null=True)
    balance_match = models.CharField(max_length=8, choices=BalanceMatch.choices, null=True)
    balance_diff_changes = models.PositiveIntegerField(null=True)
    balance_diff_change_ratio = models.DecimalField(max_digits=9, decimal_places=6, null=True)
    missing_days_detected = models.BooleanField(null=True)
    gap_related_balance_changes = models.PositiveIntegerField(null=True)
    uses_implicit_ind02_commission = models.BooleanField(null=True)
    uses_implicit_merchant_cashback = models.BooleanField(null=True)
    verification_status = models.CharField(max_length=8, choices=VerificationStatus.choices, null=True)
    verification_reason = models.TextField(null=True)
    tampering_level = models.CharField(max_length=10, choices=TamperingLevel.choices, null=True)
    tampering_reason = models.TextField(null=True)
    taxes = models.DecimalField(**MONEY, null=True)
    risk_score = models.PositiveSmallIntegerField(null=True)
    # The top counterparties by value (issue 18)
    top_payer_number = models.CharField(max_length=32, null=True, help_text="Sent the most money in")
    top_payer_name = models.CharField(max_length=100, null=True)
    top_payer_amount = models.DecimalField(**MONEY, null=True)
    top_payee_number = models.CharField(max_length=32, null=True, help_text="Received the most money out")
    top_payee_name = models.CharField(max_length=100, null=True)
    top_payee_amount = models.DecimalField(**MONEY, null=True)
    # customer_details (seed 000's column list)
    customer_details_id = models.BigIntegerField(null=True)
    cust_id = models.CharField(max_length=64, null=True)
    final_entity_type = models.CharField(max_length=32, null=True)
    final_entity_id = models.BigIntegerField(null=True)
    lead_id = models.BigIntegerField(null=True)
    lead_mobile = models.CharField(max_length=20, null=True)
    lead_biz_name = models.CharField(max_length=300, null=True)
    lead_first_name = models.CharField(max_length=100, null=True)
    lead_last_name = models.CharField(max_length=100, null=True)
    lead_location = models.CharField(max_length=200, null=True)
    lead_territory = models.CharField(max_length=200, null=True)
    lead_status = models.CharField(max_length=50, null=True)
    lead_type = models.CharField(max_length=50, null=True)
    lead_date = models.DateTimeField(null=True)
    reassessment_id = models.BigIntegerField(null=True)
    reassessment_status = models.CharField(max_length=50, null=True)
    reassessment_type = models.CharField(max_length=50, null=True)
    borrower_id = models.BigIntegerField(null=True)
    borrower_biz_name = models.CharField(max_length=300, null=True)
    borrower_reg_date = models.DateField(null=True)
    tot_loans = models.IntegerField(null=True)
    tot_default_loans = models.IntegerField(null=True)
    current_fa_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    previous_fa_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    borrower_kyc_status = models.CharField(max_length=50, null=True)
    borrower_activity_status = models.CharField(max_length=50, null=True)
    borrower_profile_status = models.CharField(max_length=50, null=True)
    borrower_fa_status = models.CharField(max_length=50, null=True)
    borrower_status = models.CharField(max_length=50, null=True)
    risk_category = models.CharField(max_length=50, null=True)
    registered_rm_name = models.CharField(max_length=300, null=True)
    current_rm_name = models.CharField(max_length=300, null=True)
    account_holder_name = models.CharField(max_length=300, null=True)
    acc_ownership = models.CharField(max_length=50, null=True)

    class Meta:
        managed = False
        db_table = "unified_statements"
        ordering = ["-created_at", "-statement_id"]
        verbose_name = "unified statement"

    def __str__(self):
        return f"{self.acc_prvdr_code} {self.acc_number} {self.run_id}"
