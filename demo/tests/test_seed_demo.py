"""The newcomer's demo: realistic data in every app, and a second run adds nothing."""
import pytest
from django.core.management import call_command

from calls.models import CallSession
from customers.models import BankAccount, Customer
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay
from details.models import CustomerDetails
from statements.models import Statement, StatementSummary
from uploads.models import FileUpload, UploadRow


def _counts():
    models = [Customer, BankAccount, CustomerDetails, Debt, Payment, CommunicationLog, PromiseToPay,
              Statement, StatementSummary, FileUpload, UploadRow, CallSession]
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_seed_demo_fills_every_app_and_is_idempotent(settings, capsys):
    call_command("seed_demo")
    first = _counts()
    assert all(first[name] > 0 for name in first), first

    # Money moved through the services: completed payments reduced balances.
    paid_off = Debt.objects.get(loan_id="DEMO-LOAN-002")
    assert paid_off.status == "PAID_OFF" and paid_off.current_balance == 0
    assert Payment.objects.filter(status="COMPLETED").count() >= 3
    # Statements of every verdict are there for the statements page.
    statuses = set(Statement.objects.values_list("status", flat=True))
    assert {"VERIFIED", "FLAGGED", "IMPORT_FAILED"} <= statuses

    call_command("seed_demo")
    assert _counts() == first
