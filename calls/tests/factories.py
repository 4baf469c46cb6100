"""factory_boy factories for calls: loan-book customers and debts as the
dashboard sees them, and call sessions."""
from decimal import Decimal

import factory
from django.utils import timezone as dj_timezone

from calls.models import CallSession
from customers.tests import factories as customer_factories
from debts.tests import factories as debt_factories
from uploads.tests.factories import FileUploadFactory, UploadRowFactory  # noqa: F401  (re-exported for these tests)


class CustomerFactory(customer_factories.CustomerFactory):
    """A customer from a loan book (uploaded today)."""

    full_name = factory.Sequence(lambda n: f"Borrower {n}")
    primary_phone = factory.Sequence(lambda n: f"+25670{n:07d}")
    timezone = "Africa/Kampala"
    first_uploaded_at = factory.LazyFunction(dj_timezone.now)


class DebtFactory(debt_factories.DebtFactory):
    """A loan-book debt: branch and employee filled, no schedule dates."""

    customer = factory.SubFactory(CustomerFactory)
    loan_id = factory.Sequence(lambda n: f"LN{n:06d}")
    original_amount = Decimal("250000.00")
    current_balance = Decimal("150000.00")
    due_amount = Decimal("15000.00")
    issue_date = None
    due_date = None
    branch = "Kampala Main"
    cluster = "Central"
    employee_name = "Priya Sharma"
    employee_id = "EMP001"


class CallSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallSession

    customer = factory.SubFactory(CustomerFactory)
    to_number = factory.SelfAttribute("customer.primary_phone")
    provider = "exotel"
