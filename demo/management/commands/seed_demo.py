"""Fill the database with a realistic demo, through the same services ops use.

It lives in the ``demo`` app, above every other app, because it calls all of them.

Idempotent: every step first looks for what it would create, so running it
again adds nothing. Demo files live in ``fixtures/``.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from calls.models import CallSession
from calls.services import CallNotAllowed, call_session_create
from core.roles import sync_roles
from customers.models import Customer
from customers.services import bank_account_create, customer_create
from debts.choices import CommunicationType, PaymentStatus
from debts.models import CommunicationLog, Debt
from debts.services import communication_log_create, debt_create, debts_update_delinquency, payment_create, promise_create
from details.csv_import import customer_details_import_csv
from statements.models import Statement
from statements.services import statement_import_job_create
from uploads.models import FileUpload
from uploads.services import file_upload_create

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_LOAN_BOOK = FIXTURES / "loan_books" / "demo.csv"
DEMO_DETAILS = FIXTURES / "customer_details" / "customer_details_sample.csv"
DEMO_STATEMENTS = [
    "airtel_f1_genuine.pdf",
    "airtel_f2_genuine.pdf",
    "airtel_f1_tampered_edited_balance.pdf",
    "airtel_f1_tampered_modified_metadata.pdf",
    "airtel_f2_tampered_injected_header.pdf",
    "airtel_f1_export.csv",
    "mtn_export.xlsx",
    "bad_truncated.pdf",
]

# Seed 002-style banking profiles (SSNs are fictional, in the 9xx-free range).
PROFILES = [
    {"full_name": "Grace Achieng", "first_name": "Grace", "last_name": "Achieng", "primary_phone": "+256701234567",
     "email": "grace.achieng@example.com", "ssn": "219-09-9999", "city": "Kampala", "state": "Central",
     "employer_name": "Achieng Tailoring", "employment_status": "self_employed", "annual_income": Decimal("18000000"),
     "account": "2030040050060", "debt": Decimal("2500000"), "paid": [Decimal("500000"), Decimal("250000")]},
    {"full_name": "Joseph Okello", "first_name": "Joseph", "last_name": "Okello", "primary_phone": "+256772345678",
     "email": "joseph.okello@example.com", "ssn": "078-05-1120", "city": "Gulu", "state": "Northern",
     "employer_name": "Okello Motors", "employment_status": "employed", "annual_income": Decimal("24000000"),
     "account": "2030040050077", "debt": Decimal("800000"), "paid": [Decimal("800000")]},
    {"full_name": "Esther Namubiru", "first_name": "Esther", "last_name": "Namubiru", "primary_phone": "+256753456789",
     "email": "esther.namubiru@example.com", "ssn": "123-45-6780", "city": "Jinja", "state": "Eastern",
     "employer_name": "", "employment_status": "self_employed", "annual_income": Decimal("9600000"),
     "account": "2030040050084", "debt": Decimal("1200000"), "paid": []},
]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Command(BaseCommand):
    help = "Load a realistic demo: customers, debts and payments, statements, a loan-book upload, calls. Idempotent."

    def handle(self, *args, **options):
        sync_roles()
        steps = [
            ("customer details", self._customer_details),
            ("loan-book upload", self._loan_book),
            ("banking customers, debts and payments", self._profiles),
            ("contacts and promises", self._contacts),
            ("statements", self._statements),
            ("calls", self._calls),
            ("delinquency", self._delinquency),
        ]
        for name, step in steps:
            message = step()
            self.stdout.write(f"  {name}: {message}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _customer_details(self) -> str:
        report = customer_details_import_csv(path=DEMO_DETAILS)
        return f"{report.rows_read} rows read from {DEMO_DETAILS.name}: {report.inserted} new, {report.updated} updated, {report.unchanged} unchanged"

    def _loan_book(self) -> str:
        sha = _sha256(DEMO_LOAN_BOOK)
        existing = FileUpload.objects.filter(sha256=sha).order_by("id").first()
        if existing:
            return f"already uploaded (#{existing.pk}, {existing.status})"
        with DEMO_LOAN_BOOK.open("rb") as handle:
            upload = file_upload_create(fileobj=handle, filename=DEMO_LOAN_BOOK.name, uploaded_by_label="seed_demo", content_type="text/csv")
        upload.refresh_from_db()
        return f"upload #{upload.pk} {upload.status}: {upload.success_records} rows in, {upload.failed_records} failed"

    def _profiles(self) -> str:
        created = 0
        for index, profile in enumerate(PROFILES, start=1):
            data = dict(profile)
            account, amount, paid = data.pop("account"), data.pop("debt"), data.pop("paid")
            customer = Customer.objects.filter(email=data["email"]).first()
            if customer is None:
                customer = customer_create(**data)
                bank_account_create(customer_id=customer.pk, account_type="savings", account_number=account, bank_name="Stanbic Bank Uganda", is_primary=True)
                created += 1
            debt = Debt.objects.filter(loan_id=f"DEMO-LOAN-{index:03d}").first()
            if debt is None:
                debt = debt_create(
                    customer_id=customer.pk, original_amount=amount, debt_type="loan", loan_id=f"DEMO-LOAN-{index:03d}",
                    issue_date=timezone.localdate() - timedelta(days=180), due_date=timezone.localdate() - timedelta(days=20 * index),
                    interest_rate=Decimal("24.0"), minimum_payment=amount / 10, branch="Kampala Main", cluster="Kampala Cluster",
                )
            for number, value in enumerate(paid, start=1):
                # A replayed transaction_id returns the existing payment: no money moves twice.
                payment_create(
                    debt_id=debt.pk, amount=value, transaction_id=f"DEMO-MM-{index:03d}-{number}", status=PaymentStatus.COMPLETED,
                    payment_method="mobile_money", payment_date=timezone.now() - timedelta(days=30 * number),
                )
        return f"{created} created, {len(PROFILES) - created} already there"

    def _contacts(self) -> str:
        debt = Debt.objects.filter(loan_id="DEMO-LOAN-003").first()
        if debt is None:
            return "skipped (no demo debt)"
        if CommunicationLog.objects.filter(customer_id=debt.customer_id, agent_id="demo-agent").exists():
            return "already there"
        sms = communication_log_create(
            customer_id=debt.customer_id, debt_id=debt.pk, communication_type=CommunicationType.SMS, direction="outbound",
            contact_phone=debt.customer.primary_phone, outcome="delivered", notes="Payment reminder sent.", agent_id="demo-agent",
            timestamp=timezone.now() - timedelta(days=3),
        )
        visit = communication_log_create(
            customer_id=debt.customer_id, debt_id=debt.pk, communication_type=CommunicationType.IN_PERSON, direction="outbound",
            outcome="payment_promised", notes="Visited the shop; promised to pay half next week.", agent_id="demo-agent",
        )
        promise_create(debt_id=debt.pk, amount=debt.current_balance / 2, promised_date=timezone.localdate() + timedelta(days=7),
                       communication_log_id=visit.pk, notes="Half the balance")
        return f"2 contacts (#{sms.pk}, #{visit.pk}) and a promise to pay"

    def _statements(self) -> str:
        samples = FIXTURES / "statements" / "samples"
        missing = [samples / name for name in DEMO_STATEMENTS if (samples / name).exists()]
        missing = [p for p in missing if not Statement.objects.filter(file_sha256=_sha256(p)).exists()]
        if not missing:
            return "already imported"
        job = statement_import_job_create(files=missing, trigger="command", started_by_label="seed_demo")
        job.refresh_from_db()
        return f"import job #{job.pk} {job.status}: {job.imported_count} imported, {job.failed_count} failed"

    def _calls(self) -> str:
        if CallSession.objects.exists():
            return "already there"
        placed = 0
        for debt in Debt.objects.filter(status__in=["ACTIVE", "IN_COLLECTION", "DEFAULTED"]).select_related("customer")[:4]:
            try:
                call_session_create(customer_id=debt.customer_id, debt_id=debt.pk)
                placed += 1
            except CallNotAllowed:
                continue
        return f"{placed} calls placed on the {settings.TELEPHONY_PROVIDER}"

    def _delinquency(self) -> str:
        result = debts_update_delinquency()
        return (f"{result.debts_scanned} debts scanned, {result.days_past_due_changed} days-past-due changed, "
                f"{result.moved_to_defaulted} moved to DEFAULTED")
