from django.db import models

from customers.choices import Provider  # noqa: F401  (re-exported: statements are keyed by provider)


class StatementFormat(models.TextChoices):
    UATL_PDF_1 = "uatl_pdf_1", "Airtel PDF format 1"
    UATL_PDF_2 = "uatl_pdf_2", "Airtel PDF format 2"
    UATL_CSV_1 = "uatl_csv_1", "Airtel CSV format 1"
    UATL_CSV_2 = "uatl_csv_2", "Airtel CSV format 2"
    UMTN_XLSX = "umtn_xlsx", "MTN Excel (xlsx)"
    UMTN_XLS = "umtn_xls", "MTN Excel (xls)"
    UMTN_CSV = "umtn_csv", "MTN CSV"
    UNKNOWN = "unknown", "Unknown"


class StatementStatus(models.TextChoices):
    IMPORT_FAILED = "IMPORT_FAILED", "Import failed"
    IMPORTED = "IMPORTED", "Imported"
    VERIFIED = "VERIFIED", "Verified"
    VERIFIED_WITH_WARNINGS = "VERIFIED_WITH_WARNINGS", "Verified with warnings"
    FLAGGED = "FLAGGED", "Flagged"


class VerificationStatus(models.TextChoices):
    PASS = "PASS", "Pass"
    WARNING = "WARNING", "Warning"
    FAIL = "FAIL", "Fail"


class BalanceMatch(models.TextChoices):
    SUCCESS = "Success", "Success"
    FAILED = "Failed", "Failed"


class TamperingLevel(models.TextChoices):
    NO_ISSUES = "NO_ISSUES", "No issues"
    WARNING = "WARNING", "Warning"
    CRITICAL = "CRITICAL", "Critical"
    FATAL = "FATAL", "Fatal"


class Direction(models.TextChoices):
    CREDIT = "credit", "Credit"
    DEBIT = "debit", "Debit"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"


class ImportTrigger(models.TextChoices):
    ADMIN = "admin", "Admin upload"
    API = "api", "API"
    COMMAND = "command", "Management command"
    INBOX = "inbox", "Inbox folder"
