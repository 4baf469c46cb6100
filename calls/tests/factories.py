from decimal import Decimal

import factory
from django.utils import timezone as dj_timezone

from calls.models import CallSession
from customers.models import Customer
from debts.models import Debt
from uploads.models import FileUpload, UploadRow


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    full_name = factory.Sequence(lambda n: f"Borrower {n}")
    primary_phone = factory.Sequence(lambda n: f"+25670{n:07d}")
    timezone = "Africa/Kampala"
    first_uploaded_at = factory.LazyFunction(dj_timezone.now)


class DebtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debt

    customer = factory.SubFactory(CustomerFactory)
    loan_id = factory.Sequence(lambda n: f"LN{n:06d}")
    original_amount = Decimal("250000.00")
    current_balance = Decimal("150000.00")
    due_amount = Decimal("15000.00")
    branch = "Kampala Main"
    cluster = "Central"
    employee_name = "Priya Sharma"
    employee_id = "EMP001"


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
    provider = "exotel"
