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
