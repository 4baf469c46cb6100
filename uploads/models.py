"""Loan-book uploads, tracked file by file and row by row (seeds 001/003)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from uploads.choices import Decision, FileFormat, MatchMethod, ReviewKind, RowStatus, UploadStatus


class FileUpload(TimeStampedModel):
    """One uploaded loan-book file (``file_uploads``) and its processing job."""

    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="uploads/%Y/%m/", blank=True, max_length=500)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_by_label = models.CharField(max_length=200, blank=True, help_text="Who or what uploaded it, when not a user")
    uploaded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats")

    status = models.CharField(max_length=24, choices=UploadStatus.choices, default=UploadStatus.PENDING, db_index=True)
    total_records = models.PositiveIntegerField(default=0)
    processed_records = models.PositiveIntegerField(default=0)
    success_records = models.PositiveIntegerField(default=0)
    failed_records = models.PositiveIntegerField(default=0)
    skipped_records = models.PositiveIntegerField(default=0)
    review_records = models.PositiveIntegerField(default=0, help_text="Lines waiting for review (needs_review)")
    customers_created = models.PositiveIntegerField(default=0)
    customers_matched = models.PositiveIntegerField(default=0)
    debts_created = models.PositiveIntegerField(default=0)
    debts_updated = models.PositiveIntegerField(default=0)
    processing_errors = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    # What the reader found, shown to ops and used by the failed-rows export.
    file_format = models.CharField(max_length=8, choices=FileFormat.choices, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True, help_text="Column headers as written in the file")
    phone_region = models.CharField(max_length=2, blank=True, help_text="Region for phone numbers without a country code")
    may_sync_balances = models.BooleanField(
        default=False,
        help_text="The uploader held debts.sync_balances: lines may change known loans' balances, original amounts and "
                  "statuses (otherwise those lines wait for review)",
    )
    # The resume point: every record up to this line is committed with its
    # chunk, so a crashed worker's successor starts right after it.
    last_line_number = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker started processing it; past JOB_MAX_ATTEMPTS it is failed, never queued again"
    )

    class Meta:
        db_table = "file_uploads"
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_records__lte=models.F("total_records")) | Q(total_records=0),
                name="upload_processed_not_above_total",
            ),
        ]

    def __str__(self):
        return f"{self.filename} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if not self.total_records:
            return 100 if self.status in (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS) else 0
        return int(100 * self.processed_records / self.total_records)


class UploadRow(models.Model):
    """One line of a loan book (``upload_rows``), with what it matched."""

    # No index of its own: the unique (file_upload, line_number) index serves
    # the foreign key, and every index costs time on a 100,000-line insert.
    file_upload = models.ForeignKey(FileUpload, on_delete=models.CASCADE, related_name="rows", db_index=False)
    line_number = models.PositiveIntegerField()
    raw_data = models.JSONField(default=dict)
    row_fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the line's cells (identical lines are skipped)")
    phone_normalized = models.CharField(max_length=20, blank=True, db_index=True)
    matched_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="upload_row_matches",
        db_column="match_customer_id",
    )
    matched_debt = models.ForeignKey(
        "debts.Debt", null=True, blank=True, on_delete=models.SET_NULL, related_name="upload_row_matches",
        db_column="match_loan_id",
    )
    match_method = models.CharField(max_length=20, choices=MatchMethod.choices, blank=True)
    status = models.CharField(max_length=16, choices=RowStatus.choices, default=RowStatus.PENDING)  # indexed with file_upload
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "upload_rows"
        ordering = ["file_upload_id", "line_number"]
        constraints = [models.UniqueConstraint(fields=["file_upload", "line_number"], name="upload_row_unique_line")]
        indexes = [
            models.Index(fields=["file_upload", "status"], name="upload_row_upload_status"),
            # Covers the "was this exact line imported before?" lookup made for
            # every chunk, so it never reads the (large) rows themselves.
            models.Index(fields=["row_fingerprint", "status", "matched_debt", "matched_customer"], name="upload_row_fp_done"),
        ]
        permissions = [("resolve_uploadrow", "Can resolve upload lines waiting for review")]

    def __str__(self):
        return f"{self.file_upload_id}:{self.line_number} ({self.status})"


class UploadRowReview(models.Model):
    """Why a loan-book line waits for review, and what a reviewer decided (``upload_row_reviews``).

    The line (``UploadRow``, status ``needs_review``) moves no money and
    places no call until a reviewer attaches it to the candidate, creates a
    new customer for it, or rejects it (``uploads.services.review``).
    """

    row = models.OneToOneField(UploadRow, on_delete=models.CASCADE, related_name="review")
    kind = models.CharField(max_length=16, choices=ReviewKind.choices)
    reason = models.TextField()
    candidate_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who the line would be attached to",
    )
    candidate_debt = models.ForeignKey("debts.Debt", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The line as read (typed values; a national ID encrypted), so a decision
    # applies exactly what the file said.
    values = models.JSONField(default=dict)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["values"])

    class Meta:
        db_table = "upload_row_reviews"
        ordering = ["-id"]
        indexes = [models.Index(fields=["decision", "kind"], name="upload_review_open")]

    def __str__(self):
        return f"review of {self.row_id} ({self.kind}{', ' + self.decision if self.decision else ''})"
