from django.db import models


class DebtType(models.TextChoices):
    LOAN = "loan", "Loan"
    MICROLOAN = "microloan", "Microloan"
    FLOAT_ADVANCE = "float_advance", "Float advance"
    CREDIT_CARD = "credit_card", "Credit card"
    MORTGAGE = "mortgage", "Mortgage"
    OVERDRAFT = "overdraft", "Overdraft"
    OTHER = "other", "Other"


class DebtStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    PAID_OFF = "PAID_OFF", "Paid off"
    DEFAULTED = "DEFAULTED", "Defaulted"
    IN_COLLECTION = "IN_COLLECTION", "In collection"
    SETTLED = "SETTLED", "Settled"
    WRITTEN_OFF = "WRITTEN_OFF", "Written off"


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    COMPLETED = "COMPLETED", "Completed"
    FAILED = "FAILED", "Failed"
    REFUNDED = "REFUNDED", "Refunded"
    # A pending payment cancelled by a person (entered by mistake, never
    # arrived). No money moved; the row stays as the record of it.
    VOIDED = "VOIDED", "Voided"


class PaymentMethod(models.TextChoices):
    MOBILE_MONEY = "mobile_money", "Mobile money"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CASH = "cash", "Cash"
    CARD = "credit_card", "Card"
    CHECK = "check", "Check"
    OTHER = "other", "Other"


class CommunicationType(models.TextChoices):
    CALL = "CALL", "Phone call"
    EMAIL = "EMAIL", "Email"
    SMS = "SMS", "Text message"
    LETTER = "LETTER", "Letter"
    IN_PERSON = "IN_PERSON", "In person"


class CommunicationDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CommunicationOutcome(models.TextChoices):
    PAYMENT_PROMISED = "payment_promised", "Payment promised"
    PAYMENT_MADE = "payment_made", "Payment made"
    CONNECTED = "connected", "Connected"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    VOICEMAIL = "voicemail", "Voicemail"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    REFUSED = "refused", "Refused to pay"
    DISPUTE = "dispute", "Dispute"
    CALLBACK_REQUESTED = "callback_requested", "Callback requested"
    DELIVERED = "delivered", "Delivered"
    OTHER = "other", "Other"


class PromiseStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    KEPT = "KEPT", "Kept"
    BROKEN = "BROKEN", "Broken"
    CANCELLED = "CANCELLED", "Cancelled"


class ApprovalKind(models.TextChoices):
    SETTLE = "settle", "Settle"
    WRITE_OFF = "write_off", "Write off"
    REFUND = "refund", "Refund"


class ApprovalStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    # Approved, but the service refused to carry it out (the debt moved on
    # meanwhile); ``note`` says why.
    FAILED = "FAILED", "Failed"
