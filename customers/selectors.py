"""Reads about customers: the collections summary (seed 002's ``get_customer_summary``)."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Q, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import Customer


def customer_summary(*, customer: Customer) -> dict:
    """Total debt, active debt count, total paid, worst days past due, last
    payment and last contact of one customer.

    ``total_debt`` and ``active_debt_count`` cover debts still being
    collected (active, in collection, defaulted): a paid-off, settled or
    written-off debt is no longer owed. ``total_paid`` is completed payments
    (refunded ones gave the money back). Four queries.
    """
    from debts.choices import PaymentStatus
    from debts.models import CommunicationLog, Debt, Payment
    from debts.selectors import OPEN_STATUSES

    money = DecimalField(max_digits=18, decimal_places=2)
    debts = Debt.objects.filter(customer_id=customer.pk).order_by().aggregate(
        total_debt=Coalesce(Sum("current_balance", filter=Q(status__in=OPEN_STATUSES)), Value(Decimal("0.00")), output_field=money),
        active_debt_count=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        debt_count=Count("id"),
        worst_days_past_due=Coalesce(Max("days_past_due", filter=Q(status__in=OPEN_STATUSES)), Value(0)),
    )
    # A separate query: summed over a debts⨝payments join, balances would
    # count once per payment.
    total_paid = Payment.objects.filter(customer_id=customer.pk, status=PaymentStatus.COMPLETED).order_by().aggregate(
        total=Coalesce(Sum("amount"), Value(Decimal("0.00")), output_field=money)
    )["total"]
    last_payment = (
        Payment.objects.filter(customer_id=customer.pk, status=PaymentStatus.COMPLETED)
        .order_by("-payment_date", "-id")
        .values("id", "amount", "payment_date", "debt_id")
        .first()
    )
    last_log = (
        CommunicationLog.objects.filter(customer_id=customer.pk)
        .order_by("-timestamp", "-id")
        .values("id", "timestamp", "communication_type", "direction", "outcome")
        .first()
    )
    return {
        "customer": customer.pk,
        "total_debt": debts["total_debt"],
        "active_debt_count": debts["active_debt_count"],
        "debt_count": debts["debt_count"],
        "total_paid": total_paid,
        "worst_days_past_due": debts["worst_days_past_due"],
        "last_payment": last_payment,
        "last_contact_date": customer.last_contact_date,
        "last_contact": last_log,
    }
