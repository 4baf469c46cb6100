"""Minimal factories for the foundation tests (each app has richer ones)."""
from decimal import Decimal

import factory
from django.utils import timezone

from calls.models import CallSession
from customers.models import BankAccount, Customer, CustomerDetails
from debts.models import Debt, Payment
from statements.models import Statement
from uploads.models import FileUpload, UploadRow


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    full_name = factory.Sequence(lambda n: f"Customer {n}")
    primary_phone = factory.Sequence(lambda n: f"+2567{n:08d}")


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    customer = factory.SubFactory(CustomerFactory)
    account_type = "savings"
    account_number = factory.Sequence(lambda n: f"00120034{n:06d}")


class DebtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debt

    customer = factory.SubFactory(CustomerFactory)
    loan_id = factory.Sequence(lambda n: f"LN{n:06d}")
    original_amount = Decimal("1000000.00")
    current_balance = Decimal("1000000.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    debt = factory.SubFactory(DebtFactory)
    customer = factory.SelfAttribute("debt.customer")
    amount = Decimal("50000.00")
    payment_date = factory.LazyFunction(timezone.now)


class CustomerDetailsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerDetails

    run_id = factory.Sequence(lambda n: f"68e92f3c{n:05x}")


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    acc_prvdr_code = "UATL"
    acc_number = factory.Sequence(lambda n: f"70{n:07d}")
    file_name = factory.Sequence(lambda n: f"statement-{n}.pdf")


class FileUploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FileUpload

    filename = factory.Sequence(lambda n: f"loanbook-{n}.csv")


class UploadRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UploadRow

    file_upload = factory.SubFactory(FileUploadFactory)
    line_number = factory.Sequence(lambda n: n + 2)
    row_fingerprint = factory.Sequence(lambda n: f"{n:064x}")


class CallSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallSession

    customer = factory.SubFactory(CustomerFactory)
    to_number = factory.SelfAttribute("customer.primary_phone")
