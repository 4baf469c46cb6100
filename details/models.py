"""The borrower snapshot taken for every statement request (seed 000's
``customer_details``): one row per run_id, resolved through the core
lending database's entity chain, the CSV export or mapper.csv."""
from __future__ import annotations

from django.db import models

from core.fields import EncryptedTextField
from core.models import TimeStampedModel
from customers.choices import Provider
from customers.models import Customer, RelationshipManager
from details.choices import DetailsSource, EntityType, SyncStatus


class CustomerDetails(TimeStampedModel):
    """The borrower context of one statement request (seed 000 ``customer_details``).

    One row per ``run_id``, resolved through the core system's entity chain:
    request → (customer_statement →) lead or reassessment_result → borrower.
    """

    # The statement request (partner_acc_stmt_requests)
    run_id = models.CharField(max_length=64, unique=True, help_text="flow_req_id of the statement request")
    stmt_request_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    acc_number = models.CharField(max_length=32, blank=True, db_index=True)
    alt_acc_num = models.CharField(max_length=32, blank=True)
    acc_prvdr_code = models.CharField(max_length=8, choices=Provider.choices, blank=True, db_index=True)
    request_status = models.CharField(max_length=50, blank=True)
    object_key = models.CharField(max_length=255, blank=True)
    lambda_status = models.CharField(max_length=50, blank=True)
    request_created_at = models.DateTimeField(null=True, blank=True)
    created_by_rm_id = models.BigIntegerField(null=True, blank=True)
    rm_name = models.CharField(max_length=300, blank=True, help_text="RM who created the request")

    # Entity chain
    direct_entity_type = models.CharField(max_length=32, choices=EntityType.choices, blank=True, db_index=True)
    direct_entity_id = models.BigIntegerField(null=True, blank=True)
    customer_statement_id = models.BigIntegerField(null=True, blank=True)
    final_entity_type = models.CharField(max_length=32, choices=EntityType.choices, blank=True, db_index=True)
    final_entity_id = models.BigIntegerField(null=True, blank=True)
    cust_id = models.CharField(max_length=64, blank=True, db_index=True)

    # customer_statements
    account_holder_name = models.CharField(max_length=300, blank=True)
    acc_ownership = models.CharField(max_length=50, blank=True)
    distributor_code = models.CharField(max_length=64, blank=True)
    cs_status = models.CharField(max_length=50, blank=True)
    cs_result = models.CharField(max_length=50, blank=True)
    cs_score = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cs_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    cs_prev_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    cs_assessment_date = models.DateTimeField(null=True, blank=True)

    # Lead (final entity = lead)
    lead_id = models.BigIntegerField(null=True, blank=True)
    lead_mobile = models.CharField(max_length=20, blank=True)
    lead_biz_name = models.CharField(max_length=300, blank=True)
    lead_first_name = models.CharField(max_length=100, blank=True)
    lead_last_name = models.CharField(max_length=100, blank=True)
    lead_id_proof_num = EncryptedTextField(blank=True, default="")
    lead_national_id = EncryptedTextField(blank=True, default="")
    lead_location = models.CharField(max_length=200, blank=True)
    lead_territory = models.CharField(max_length=200, blank=True)
    lead_status = models.CharField(max_length=50, blank=True)
    lead_profile_status = models.CharField(max_length=50, blank=True)
    lead_score_status = models.CharField(max_length=50, blank=True)
    lead_type = models.CharField(max_length=50, blank=True)
    lead_date = models.DateTimeField(null=True, blank=True)
    lead_assessment_date = models.DateTimeField(null=True, blank=True)
    lead_onboarded_date = models.DateTimeField(null=True, blank=True)

    # Reassessment (final entity = reassessment_result)
    reassessment_id = models.BigIntegerField(null=True, blank=True)
    reassessment_prev_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    reassessment_status = models.CharField(max_length=50, blank=True)
    reassessment_type = models.CharField(max_length=50, blank=True)
    reassessment_created_at = models.DateTimeField(null=True, blank=True)

    # Borrower
    borrower_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    borrower_biz_name = models.CharField(max_length=300, blank=True)
    borrower_reg_date = models.DateField(null=True, blank=True)
    tot_loans = models.IntegerField(null=True, blank=True)
    tot_default_loans = models.IntegerField(null=True, blank=True)
    current_fa_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    previous_fa_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    borrower_last_assessment_date = models.DateTimeField(null=True, blank=True)
    borrower_kyc_status = models.CharField(max_length=50, blank=True)
    borrower_activity_status = models.CharField(max_length=50, blank=True)
    borrower_profile_status = models.CharField(max_length=50, blank=True)
    borrower_fa_status = models.CharField(max_length=50, blank=True)
    borrower_status = models.CharField(max_length=50, blank=True, db_index=True)
    risk_category = models.CharField(max_length=50, blank=True, db_index=True)

    # Relationship managers
    registered_rm_id = models.BigIntegerField(null=True, blank=True)
    registered_rm_name = models.CharField(max_length=300, blank=True)
    current_rm_id = models.BigIntegerField(null=True, blank=True)
    current_rm_name = models.CharField(max_length=300, blank=True, db_index=True)
    relationship_manager = models.ForeignKey(
        RelationshipManager, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer_details"
    )

    # Where this row came from and when
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="details")
    source = models.CharField(max_length=16, choices=DetailsSource.choices, default=DetailsSource.CSV, db_index=True)
    sync_status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.SYNCED, db_index=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(blank=True)
    # Lets a re-run of the CSV backfill skip rows whose values did not change,
    # so it rewrites nothing (encrypted columns would otherwise get new
    # ciphertext and updated_at would move on every run).
    content_hash = models.CharField(max_length=64, blank=True, editable=False, help_text="SHA-256 of the values last imported")

    class Meta:
        db_table = "customer_details"
        verbose_name = "customer details"
        verbose_name_plural = "customer details"
        ordering = ["-request_created_at", "-id"]
        indexes = [models.Index(fields=["acc_prvdr_code", "acc_number"], name="custdetails_provider_acc")]
        permissions = [("export_customerdetails", "Can export customer details")]

    def __str__(self):
        return f"{self.run_id} ({self.borrower_biz_name or self.account_holder_name or self.acc_number})"
