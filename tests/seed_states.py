"""A database holding every state of every model the API returns.

``seed_every_state()`` writes, for each model behind an API operation, one
row in each of its statuses, with the optional parts present and absent (a
call with and without a sid, a statement with and without a summary,
customer details pending and synced, ...). The schema tests
(``tests/test_api_fuzz.py``, ``tests/test_api_contract.py``) read it back
through every operation and hold each response to the OpenAPI schema.

Rows are written directly (factories and the ORM), not through the
services: these are the states the services *leave behind*, some reached
only over time or through the telephony path, and what is under test is how
the API describes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from calls.choices import CallStatus
from calls.models import CallStatusUpdate, UnmatchedCallback
from calls.tests.factories import CallSessionFactory
from customers.models import RelationshipManager
from customers.tests.factories import BankAccountFactory, CustomerFactory
from debts.choices import ApprovalKind, ApprovalStatus, CommunicationType, DebtStatus, PaymentStatus, PromiseStatus
from debts.models import ApprovalRequest, Disposition, PromiseToPay
from debts.tests.factories import CommunicationLogFactory, DebtFactory, PaymentFactory
from details.choices import DetailsSource, EntityType, SyncStatus
from details.tests.factories import CustomerDetailsFactory
from statements.choices import (
    BalanceMatch,
    Direction,
    ImportJobStatus,
    ImportTrigger,
    StatementFormat,
    StatementStatus,
    TamperingLevel,
    VerificationStatus,
)
from statements.models import ProcessedTransaction, RawTransaction, StatementImport, StatementSummary
from statements.tests.factories import StatementFactory
from uploads.choices import MatchMethod, RowStatus, UploadStatus
from uploads.tests.factories import FileUploadFactory, UploadRowFactory


@dataclass
class SeededStates:
    """What was written, by state, for tests that want a particular row."""

    statements: dict[str, object] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)
    debts: dict[str, object] = field(default_factory=dict)
    payments: dict[str, object] = field(default_factory=dict)
    calls: dict[str, object] = field(default_factory=dict)
    uploads: dict[str, object] = field(default_factory=dict)
    rows: dict[str, object] = field(default_factory=dict)
    promises: dict[str, object] = field(default_factory=dict)
    approvals: dict[str, object] = field(default_factory=dict)


def seed_every_state() -> SeededStates:
    seeded = SeededStates()
    now = timezone.now()
    today = timezone.localdate()

    # Customers: one with every optional field, one bare.
    full = CustomerFactory(
        email="full@example.com", city="Kampala", employment_status="employed", annual_income=Decimal("1200000.00"),
        date_of_birth=today - timedelta(days=365 * 30), national_id="CM90012345ABCD", ssn="219-09-9999",
    )
    bare = CustomerFactory()
    BankAccountFactory(customer=full, is_primary=True, primary_for=full)
    BankAccountFactory(customer=bare, account_type="mobile_money", is_primary=False)

    # Customer details: synced (full borrower context), pending (the core
    # database was unreachable: little more than the run_id), not found.
    manager = RelationshipManager.objects.create(person_id=9001, full_name="Seeded RM")
    seeded.details[SyncStatus.SYNCED] = CustomerDetailsFactory(
        acc_number="700000001", acc_prvdr_code="UATL", cust_id="UFLW-700000001", final_entity_type=EntityType.CUSTOMER_STATEMENT,
        borrower_id=42, borrower_biz_name="Seeded Shop", account_holder_name="Seeded Holder", tot_loans=3, tot_default_loans=0,
        current_fa_limit=Decimal("500000.00"), risk_category="low", borrower_status="enabled", current_rm_name="Seeded RM",
        relationship_manager=manager, customer=full, source=DetailsSource.CORE_DB, sync_status=SyncStatus.SYNCED, synced_at=now,
    )
    seeded.details[SyncStatus.PENDING] = CustomerDetailsFactory(
        source=DetailsSource.MAPPER, sync_status=SyncStatus.PENDING, sync_error="core database unreachable",
    )
    seeded.details[SyncStatus.NOT_FOUND] = CustomerDetailsFactory(source=DetailsSource.CORE_DB, sync_status=SyncStatus.NOT_FOUND)

    # Statement imports in each job status, and statements in each status.
    jobs = {
        status: StatementImport.objects.create(trigger=ImportTrigger.API, status=status, total_files=1, started_by_label="seed")
        for status in ImportJobStatus.values
    }
    job = jobs[ImportJobStatus.COMPLETED_WITH_ERRORS]
    # A failed import as the engine leaves it: no provider, no format, no summary.
    seeded.statements[StatementStatus.IMPORT_FAILED] = StatementFactory(
        acc_prvdr_code="", acc_number="", format=StatementFormat.UNKNOWN, status=StatementStatus.IMPORT_FAILED,
        failure_reason="truncated PDF", import_job=job,
    )
    verdicts = {
        StatementStatus.IMPORTED: (VerificationStatus.PASS, BalanceMatch.SUCCESS, TamperingLevel.NO_ISSUES, "blank"),
        StatementStatus.VERIFIED: (VerificationStatus.PASS, BalanceMatch.SUCCESS, TamperingLevel.NO_ISSUES, None),
        StatementStatus.VERIFIED_WITH_WARNINGS: (VerificationStatus.WARNING, BalanceMatch.SUCCESS, TamperingLevel.WARNING, None),
        StatementStatus.FLAGGED: (VerificationStatus.FAIL, BalanceMatch.FAILED, TamperingLevel.FATAL, None),
    }
    for index, (status, (verdict, balance, tampering, blank)) in enumerate(verdicts.items()):
        provider = "UMTN" if index % 2 else "UATL"
        statement = StatementFactory(
            acc_prvdr_code=provider, status=status, format=StatementFormat.UATL_PDF_1 if provider == "UATL" else StatementFormat.UMTN_XLSX,
            num_rows=2, import_job=job, period_start=today - timedelta(days=30), period_end=today,
            run_id=seeded.details[SyncStatus.SYNCED].run_id if status == StatementStatus.FLAGGED else "",
            customer_details=seeded.details[SyncStatus.SYNCED] if status == StatementStatus.FLAGGED else None,
            cust_id="UFLW-700000001" if status == StatementStatus.FLAGGED else "",
        )
        if blank:
            # Imported, not verified yet: a summary whose verdict fields are still empty.
            StatementSummary.objects.create(statement=statement, acc_prvdr_code=provider)
        else:
            StatementSummary.objects.create(
                statement=statement, acc_prvdr_code=provider, num_rows=2, verification_status=verdict, balance_match=balance,
                tampering_level=tampering, duplicate_count=1, balance_diff_change_ratio=Decimal("0.500000"),
                opening_balance_stated=Decimal("100.00"), closing_balance_stated=Decimal("150.00"),
            )
        for number, (direction, amount) in enumerate([(Direction.CREDIT, "75.00"), (Direction.DEBIT, "-25.00")], start=1):
            raw = RawTransaction.objects.create(
                statement=statement, acc_prvdr_code=provider, row_number=number, txn_id=f"T{statement.pk}-{number}",
                txn_date=now - timedelta(days=number), direction=direction, amount=Decimal(amount), balance=Decimal("150.00"),
            )
            ProcessedTransaction.objects.create(
                statement=statement, raw=raw, acc_prvdr_code=provider, sequence=number, txn_id=raw.txn_id, txn_date=raw.txn_date,
                direction=direction, amount=raw.amount, balance=raw.balance, calculated_running_balance=Decimal("150.00"),
                balance_diff=Decimal("0.00"), is_duplicate=number == 2,
            )
        # A row whose amount could not be read.
        RawTransaction.objects.create(statement=statement, acc_prvdr_code=provider, row_number=3, raw_amount="n/a", has_quality_issue=True)
        seeded.statements[status] = statement

    # Debts in each status, each with a payment in each status on the first.
    for status in DebtStatus.values:
        closed = status in (DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF, DebtStatus.PAID_OFF)
        seeded.debts[status] = DebtFactory(
            customer=full, status=status, current_balance=Decimal("0.00") if closed else Decimal("1000.00"),
            days_past_due=45 if status in (DebtStatus.DEFAULTED, DebtStatus.IN_COLLECTION) else 0,
            closed_at=now if closed else None, closed_reason="seeded" if closed else "",
            settled_amount=Decimal("600.00") if status == DebtStatus.SETTLED else None,
        )
    # A loan-book debt without schedule dates, on the bare customer.
    DebtFactory(customer=bare, issue_date=None, due_date=None, due_amount=Decimal("50.00"))
    active = seeded.debts[DebtStatus.ACTIVE]
    for status in PaymentStatus.values:
        seeded.payments[status] = PaymentFactory(
            debt=active, status=status, transaction_id=f"SEED-{status}",
            completed_at=now if status in (PaymentStatus.COMPLETED, PaymentStatus.REFUNDED) else None,
            refunded_at=now if status == PaymentStatus.REFUNDED else None,
            refund_reason="seeded" if status == PaymentStatus.REFUNDED else "",
            failure_reason="declined" if status == PaymentStatus.FAILED else "",
        )

    # Calls: one per status; scheduled ones have no sid yet, one failed call never got one.
    for status in CallStatus.values:
        has_sid = status not in (CallStatus.SCHEDULED, CallStatus.CANCELED)
        call = CallSessionFactory(
            customer=full, debt=active, status=status, call_sid=f"SEEDSID{status}" if has_sid else None,
            scheduled_for=now + timedelta(hours=1) if status == CallStatus.SCHEDULED else None,
            initiated_at=now if has_sid else None, ended_at=now if status == CallStatus.COMPLETED else None,
            duration_seconds=30 if status == CallStatus.COMPLETED else None,
        )
        if has_sid:
            CallStatusUpdate.objects.create(call_session=call, status=status, timestamp=now)
        seeded.calls[status] = call
    seeded.calls["failed-without-sid"] = CallSessionFactory(customer=bare, status=CallStatus.FAILED, call_sid=None, error_message="provider refused")
    UnmatchedCallback.objects.create(call_sid="UNKNOWN-SID", status="completed", payload={"CallSid": "UNKNOWN-SID"})

    # Contacts and promises in each state.
    log = CommunicationLogFactory(customer=full, debt=active, communication_type=CommunicationType.CALL, outcome="payment_promised",
                                  call_session=seeded.calls[CallStatus.COMPLETED])
    CommunicationLogFactory(customer=bare, communication_type=CommunicationType.SMS, outcome="")
    CommunicationLogFactory(customer=full, debt=active, communication_type=CommunicationType.CALL, outcome="callback_requested",
                            disposition=Disposition.objects.get(code="callback_requested"), next_action_date=today + timedelta(days=2))
    for status in PromiseStatus.values:
        seeded.promises[status] = PromiseToPay.objects.create(
            customer=full, debt=active, communication_log=log if status == PromiseStatus.PENDING else None, amount=Decimal("100.00"),
            promised_date=today + timedelta(days=7), status=status,
            amount_paid=Decimal("100.00") if status == PromiseStatus.KEPT else Decimal("0.00"),
            evaluated_at=None if status == PromiseStatus.PENDING else now,
        )

    # Four-eyes requests in each status, asked by one person and decided by
    # another; a refund names its payment, a settle its settled amount.
    users = get_user_model().objects
    requester, approver = users.create_user("seed-requester"), users.create_user("seed-approver")
    for index, status in enumerate(ApprovalStatus.values):
        kind = (ApprovalKind.SETTLE, ApprovalKind.WRITE_OFF, ApprovalKind.REFUND)[index % 3]
        decided = status != ApprovalStatus.PENDING
        seeded.approvals[status] = ApprovalRequest.objects.create(
            kind=kind, debt=active, payment=seeded.payments[PaymentStatus.COMPLETED] if kind == ApprovalKind.REFUND else None,
            amount=Decimal("400.00"), settled_amount=Decimal("600.00") if kind == ApprovalKind.SETTLE else None, reason="seeded",
            status=status, requested_by=requester, decided_by=approver if decided else None, decided_at=now if decided else None,
            note="seeded" if decided else "",
        )
    active.assigned_to = requester
    active.save(update_fields=["assigned_to"])

    # Loan-book uploads in each status, with a row in each row status.
    for status in UploadStatus.values:
        seeded.uploads[status] = FileUploadFactory(
            status=status, sha256=f"{len(seeded.uploads):064x}", uploaded_by_label="seed",
            processing_errors="unreadable file" if status == UploadStatus.FAILED else "",
            started_at=None if status == UploadStatus.PENDING else now,
            completed_at=now if status in (UploadStatus.COMPLETED, UploadStatus.COMPLETED_WITH_ERRORS, UploadStatus.FAILED) else None,
        )
    upload = seeded.uploads[UploadStatus.COMPLETED_WITH_ERRORS]
    for status in RowStatus.values:
        matched = status in (RowStatus.MATCHED, RowStatus.CREATED, RowStatus.UPDATED)
        seeded.rows[status] = UploadRowFactory(
            file_upload=upload, status=status, raw_data={"phone": "+256700000001"},
            matched_customer=full if matched else None, matched_debt=active if matched else None,
            match_method=MatchMethod.FINGERPRINT if matched else "",
            error="bad phone" if status == RowStatus.FAILED else "",
        )
    return seeded
