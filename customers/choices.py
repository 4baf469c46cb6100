from django.db import models


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"
    FROZEN = "frozen", "Frozen"
    DECEASED = "deceased", "Deceased"


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", "Employed"
    SELF_EMPLOYED = "self_employed", "Self-employed"
    UNEMPLOYED = "unemployed", "Unemployed"
    RETIRED = "retired", "Retired"
    STUDENT = "student", "Student"
    OTHER = "other", "Other"


class BankAccountType(models.TextChoices):
    CHECKING = "checking", "Checking"
    SAVINGS = "savings", "Savings"
    CREDIT_CARD = "credit_card", "Credit card"
    MOBILE_MONEY = "mobile_money", "Mobile money"
    LOAN = "loan", "Loan"
    OTHER = "other", "Other"


class Provider(models.TextChoices):
    """Mobile-money account providers (``acc_prvdr_code``)."""

    UATL = "UATL", "Airtel Money Uganda"
    UMTN = "UMTN", "MTN Mobile Money Uganda"


class EntityType(models.TextChoices):
    LEAD = "lead", "Lead"
    REASSESSMENT_RESULT = "reassessment_result", "Reassessment result"
    CUSTOMER_STATEMENT = "customer_statement", "Customer statement"


class DetailsSource(models.TextChoices):
    CSV = "csv", "CSV export"
    CORE_DB = "core_db", "Core lending database"
    MAPPER = "mapper", "mapper.csv"
    MANUAL = "manual", "Entered by staff"


class SyncStatus(models.TextChoices):
    SYNCED = "synced", "Synced"
    PENDING = "pending", "Pending (core database unreachable)"
    NOT_FOUND = "not_found", "Unknown run_id"
