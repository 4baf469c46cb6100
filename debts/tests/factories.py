"""factory_boy factories for collections tests. Money is Decimal."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from customers.tests.factories import BankAccountFactory, CustomerFactory  # noqa: F401  (re-exported for these tests)
from debts.choices import CommunicationDirection, CommunicationType, DebtStatus, DebtType, PaymentStatus
from debts.models import CommunicationLog, Debt, Payment


class DebtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debt

    customer = factory.SubFactory(CustomerFactory)
    loan_id = factory.Sequence(lambda n: f"LOAN{n:06d}")
    debt_type = DebtType.LOAN
    original_amount = Decimal("1000.00")
    current_balance = factory.LazyAttribute(lambda o: o.original_amount)
    issue_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    status = DebtStatus.ACTIVE
    branch = "Kampala Central"
    cluster = "Central"


class PaymentFactory(factory.django.DjangoModelFactory):
    """A PENDING payment (never COMPLETED: completion goes through the service)."""

    class Meta:
        model = Payment

    debt = factory.SubFactory(DebtFactory)
    customer = factory.LazyAttribute(lambda o: o.debt.customer)
    amount = Decimal("10.00")
    payment_date = factory.LazyFunction(timezone.now)
    status = PaymentStatus.PENDING


class CommunicationLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunicationLog

    customer = factory.SubFactory(CustomerFactory)
    communication_type = CommunicationType.CALL
    direction = CommunicationDirection.OUTBOUND
    timestamp = factory.LazyFunction(timezone.now)
