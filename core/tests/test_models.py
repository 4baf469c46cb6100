"""Database constraints the seeds promise."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from calls.models import CallStatusUpdate
from calls.tests.factories import CallSessionFactory
from core.fields import lookup_hash
from customers.models import Customer
from customers.tests.factories import BankAccountFactory, CustomerFactory
from debts.tests.factories import DebtFactory, PaymentFactory
from details.tests.factories import CustomerDetailsFactory
from uploads.tests.factories import FileUploadFactory, UploadRowFactory

pytestmark = pytest.mark.django_db


def _rejected(callable_):
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            callable_()


def test_customer_fingerprint_is_unique():
    CustomerFactory(fingerprint="a" * 64)
    _rejected(lambda: CustomerFactory(fingerprint="a" * 64))


def test_customer_without_phone_is_rejected():
    _rejected(lambda: CustomerFactory(primary_phone=""))


def test_details_run_id_is_unique():
    CustomerDetailsFactory(run_id="68e92f3cbd39c")
    _rejected(lambda: CustomerDetailsFactory(run_id="68e92f3cbd39c"))


def test_call_sid_is_unique():
    CallSessionFactory(call_sid="exotel_call_123")
    _rejected(lambda: CallSessionFactory(call_sid="exotel_call_123"))


def test_payment_transaction_id_is_unique():
    PaymentFactory(transaction_id="MP2401")
    _rejected(lambda: PaymentFactory(transaction_id="MP2401"))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5.00")])
def test_payment_amount_must_be_positive(amount):
    _rejected(lambda: PaymentFactory(amount=amount))


def test_debt_balance_cannot_go_negative():
    _rejected(lambda: DebtFactory(current_balance=Decimal("-0.01")))


def test_one_primary_bank_account_per_customer():
    customer = CustomerFactory()
    BankAccountFactory(customer=customer, is_primary=True, primary_for=customer)
    _rejected(lambda: BankAccountFactory(customer=customer, is_primary=True, primary_for=customer))
    # A non-primary account cannot pretend to be the primary.
    _rejected(lambda: BankAccountFactory(customer=customer, is_primary=False, primary_for=customer))


def test_bank_account_numbers_are_unique_even_written_differently():
    BankAccountFactory(account_number="0012-0034-5678")
    _rejected(lambda: BankAccountFactory(account_number="001200345678"))


def test_one_status_row_per_call_status():
    call = CallSessionFactory()
    CallStatusUpdate.objects.create(call_session=call, status="ringing", timestamp=timezone.now())
    _rejected(lambda: CallStatusUpdate.objects.create(call_session=call, status="ringing", timestamp=timezone.now()))


def test_upload_row_line_is_unique_per_upload():
    upload = FileUploadFactory()
    UploadRowFactory(file_upload=upload, line_number=2)
    _rejected(lambda: UploadRowFactory(file_upload=upload, line_number=2))


def test_ssn_is_encrypted_at_rest_and_found_by_hash():
    customer = CustomerFactory(ssn="123-45-6789")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn, ssn_hash FROM customers WHERE id = %s", [customer.pk])
        stored, stored_hash = cursor.fetchone()
    assert "6789" not in stored and "123-45" not in stored
    assert Customer.objects.get(ssn_hash=lookup_hash(Customer, "ssn_hash", "123456789")).pk == customer.pk
    assert Customer.objects.get(pk=customer.pk).ssn == "123-45-6789"
    assert customer.masked_ssn.endswith("6789") and "123" not in customer.masked_ssn
