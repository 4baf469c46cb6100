from django.db import models


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
