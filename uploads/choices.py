from django.db import models


class UploadStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"


class RowStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    MATCHED = "matched", "Matched"
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"
    NEEDS_REVIEW = "needs_review", "Needs review"
    REJECTED = "rejected", "Rejected in review"


class MatchMethod(models.TextChoices):
    FINGERPRINT = "fingerprint", "Fingerprint (phone + name)"
    PHONE_NATIONAL_ID = "phone_national_id", "Phone + national ID"
    PHONE = "phone", "Phone only (secondary)"
    LOAN = "loan", "Customer of the existing loan"
    NEW = "new", "New customer"
    DUPLICATE_ROW = "duplicate_row", "Identical row already imported"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ReviewKind(models.TextChoices):
    IDENTITY = "identity", "Phone-only match, the names disagree"
    LOAN_OWNER = "loan_owner", "Loan of another customer, or under another phone"
    BALANCE = "balance", "Changes a known loan's balance (needs debts.sync_balances)"


class Decision(models.TextChoices):
    ATTACH = "attach", "Attach to the candidate"
    NEW_CUSTOMER = "new_customer", "Create a new customer"
    REJECT = "reject", "Reject"
