"""Customers, their bank accounts and relationship managers. The borrower
snapshot taken for every statement request is ``details.CustomerDetails``."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.fields import EncryptedTextField, HashField
from core.masking import mask
from core.models import TimeStampedModel
from customers.choices import AccountStatus, BankAccountType, EmploymentStatus


def _default_country() -> str:
    return settings.PHONE_DEFAULT_REGION


class RelationshipManager(TimeStampedModel):
    """A lender employee who owns borrowers (seed 000's RMs; ``persons`` in the core system)."""

    person_id = models.BigIntegerField(unique=True, null=True, blank=True, help_text="persons.id in the core lending database")
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    full_name = models.CharField(max_length=300, db_index=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "relationship_managers"
        ordering = ["full_name"]

    def __str__(self):
        return self.full_name


class Customer(TimeStampedModel):
    """The person or business that owes money, calls and sends statements.

    Seeds 001/003 (loan-book customers: fingerprint, full_name, primary_phone…)
    and seed 002 (banking profile: names, SSN, address, employment…) describe
    the same person; this is one table for both.
    """

    # Identity and deduplication (seeds 001/003)
    fingerprint = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    cust_id = models.CharField(max_length=64, unique=True, null=True, blank=True, help_text="Customer id in the core lending system")
    full_name = models.CharField(max_length=300, db_index=True)
    business_name = models.CharField(max_length=300, blank=True)

    # Personal information (seed 002)
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    ssn = EncryptedTextField(blank=True, default="", help_text="XXX-XX-XXXX; encrypted at rest")
    ssn_hash = HashField(source="ssn", unique=True)
    national_id = EncryptedTextField(blank=True, default="", help_text="Encrypted at rest")
    national_id_hash = HashField(source="national_id", db_index=True)

    # Contact (seed 002 names them phone_primary/phone_secondary)
    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    primary_phone = models.CharField(max_length=20, db_index=True, help_text="E.164")
    # Indexed: a phone search matches either number (core.phones.phone_search_q).
    secondary_phone = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164")

    # Address
    address_line1 = models.CharField(max_length=255, blank=True)
    address_line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True, db_index=True)
    zip_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default=_default_country, help_text="ISO 3166 alpha-2")
    timezone = models.CharField(max_length=64, default="Africa/Kampala", help_text="Used for calling hours")

    # Employment
    employer_name = models.CharField(max_length=255, blank=True)
    employment_status = models.CharField(max_length=20, choices=EmploymentStatus.choices, blank=True)
    annual_income = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    # Account status
    account_status = models.CharField(max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE, db_index=True)
    credit_score = models.PositiveSmallIntegerField(null=True, blank=True)
    do_not_call = models.BooleanField(default=False, help_text="Never place automated calls to this customer")

    # Loan-book lifecycle (seeds 001/003)
    first_uploaded_at = models.DateTimeField(null=True, blank=True)
    last_contact_date = models.DateTimeField(null=True, blank=True, db_index=True)
    relationship_manager = models.ForeignKey(
        RelationshipManager, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )

    notes = models.TextField(blank=True)
    # History is read by customer (its ``id``) and date only: the search and
    # filter indexes are not copied onto it (cheaper loan-book imports).
    history = HistoricalRecords(
        excluded_fields=["ssn", "ssn_hash", "national_id", "national_id_hash"],
        no_db_index=[
            "account_status", "created_at", "cust_id", "email", "fingerprint", "full_name", "last_contact_date", "primary_phone",
            "relationship_manager", "secondary_phone", "state",
        ],
    )

    class Meta:
        db_table = "customers"
        ordering = ["full_name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(credit_score__isnull=True) | Q(credit_score__lte=999), name="customer_credit_score_range"),
            models.CheckConstraint(condition=~Q(primary_phone=""), name="customer_primary_phone_required"),
            models.CheckConstraint(condition=~Q(full_name=""), name="customer_full_name_required"),
        ]
        # An export is every row at once: a right of its own, not "view".
        # An exact-match lookup by SSN, national ID or account number is one
        # too (core.api.lookups: beside the masked last four, it is an oracle).
        permissions = [
            ("export_customer", "Can export customers"),
            ("lookup_identifier", "Can look up customers, bank accounts and debts by exact SSN, national ID or account number"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.primary_phone})"

    @property
    def masked_ssn(self) -> str:
        return mask(self.ssn)

    @property
    def masked_national_id(self) -> str:
        return mask(self.national_id)


class BankAccount(TimeStampedModel):
    """Seed 002 ``accounts``. At most one primary account per customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bank_accounts")
    account_type = models.CharField(max_length=20, choices=BankAccountType.choices)
    account_number = EncryptedTextField(help_text="Encrypted at rest")
    account_number_hash = HashField(source="account_number", normalizer="digits", unique=True)
    account_number_last4 = models.CharField(max_length=4, blank=True, editable=False)
    routing_number = EncryptedTextField(blank=True, default="")
    routing_number_hash = HashField(source="routing_number", normalizer="digits", db_index=True)
    bank_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_primary = models.BooleanField(default=False)
    # Filled only while is_primary is true, so a unique index on it allows one
    # primary per customer on every backend (MySQL has no partial indexes).
    primary_for = models.OneToOneField(
        Customer, null=True, blank=True, editable=False, on_delete=models.CASCADE, related_name="+"
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords(excluded_fields=["account_number", "account_number_hash", "routing_number", "routing_number_hash"])

    class Meta:
        db_table = "accounts"
        ordering = ["customer_id", "-is_primary", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(is_primary=True) & Q(primary_for__isnull=False)) | (Q(is_primary=False) & Q(primary_for__isnull=True)),
                name="bank_account_primary_for_matches_flag",
            ),
        ]

    def __str__(self):
        return f"{self.get_account_type_display()} {self.masked_account_number}"

    @property
    def masked_account_number(self) -> str:
        return mask(self.account_number)

    @property
    def masked_routing_number(self) -> str:
        return mask(self.routing_number)
