"""The statements app's choices.

Where the statement engine has a word for it, the value is the engine's
(``statements.engine.vocabulary``): the engine compares and returns those
members, the model stores them, and they are spelt once. The labels, for
people, are here. ``test_engine_vocabulary`` checks that every choice set
and its engine enum hold the same members.
"""
from django.db import models

from customers.choices import Provider  # noqa: F401  (re-exported: statements are keyed by provider)
from statements.engine import families
from statements.engine import vocabulary as engine


def provider_choices() -> list[tuple[str, str]]:
    """The providers, then each code PROVIDER_FAMILIES maps to one (``UMTN2``
    → "UMTN2 (read as UMTN)"); a callable, so a changed setting shows at once."""
    return [*Provider.choices, *((code, f"{code} (read as {family})") for code, family in sorted(families.families().items()))]


def provider_hint_choices() -> list[tuple[str, str]]:
    return [("", "Detect from the file"), *provider_choices()]


class StatementFormat(models.TextChoices):
    UATL_PDF_1 = engine.StatementFormat.UATL_PDF_1.value, "Airtel PDF format 1"
    UATL_PDF_2 = engine.StatementFormat.UATL_PDF_2.value, "Airtel PDF format 2"
    UATL_CSV_1 = engine.StatementFormat.UATL_CSV_1.value, "Airtel CSV format 1"
    UATL_CSV_2 = engine.StatementFormat.UATL_CSV_2.value, "Airtel CSV format 2"
    UMTN_XLSX = engine.StatementFormat.UMTN_XLSX.value, "MTN Excel (xlsx)"
    UMTN_XLS = engine.StatementFormat.UMTN_XLS.value, "MTN Excel (xls)"
    UMTN_CSV = engine.StatementFormat.UMTN_CSV.value, "MTN CSV"
    UMTN_PDF = engine.StatementFormat.UMTN_PDF.value, "MTN MoMo PDF"
    UNKNOWN = engine.StatementFormat.UNKNOWN.value, "Unknown"


class StatementStatus(models.TextChoices):
    IMPORT_FAILED = engine.StatementStatus.IMPORT_FAILED.value, "Import failed"
    IMPORTED = engine.StatementStatus.IMPORTED.value, "Imported"
    VERIFIED = engine.StatementStatus.VERIFIED.value, "Verified"
    VERIFIED_WITH_WARNINGS = engine.StatementStatus.VERIFIED_WITH_WARNINGS.value, "Verified with warnings"
    FLAGGED = engine.StatementStatus.FLAGGED.value, "Flagged"


class VerificationStatus(models.TextChoices):
    PASS = engine.VerificationStatus.PASS.value, "Pass"
    WARNING = engine.VerificationStatus.WARNING.value, "Warning"
    FAIL = engine.VerificationStatus.FAIL.value, "Fail"


class BalanceMatch(models.TextChoices):
    SUCCESS = engine.BalanceMatch.SUCCESS.value, "Success"
    FAILED = engine.BalanceMatch.FAILED.value, "Failed"


class TamperingLevel(models.TextChoices):
    NO_ISSUES = engine.TamperingLevel.NO_ISSUES.value, "No issues"
    WARNING = engine.TamperingLevel.WARNING.value, "Warning"
    CRITICAL = engine.TamperingLevel.CRITICAL.value, "Critical"
    FATAL = engine.TamperingLevel.FATAL.value, "Fatal"


class Direction(models.TextChoices):
    CREDIT = engine.Direction.CREDIT.value, "Credit"
    DEBIT = engine.Direction.DEBIT.value, "Debit"


class ReviewDecision(models.TextChoices):
    """A person's decision on a statement, recorded beside the engine's
    verdict (never replacing it). People's words: the engine has none."""

    ACCEPT = "accept", "Accept"
    REJECT = "reject", "Reject"
    ESCALATE = "escalate", "Escalate"


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
