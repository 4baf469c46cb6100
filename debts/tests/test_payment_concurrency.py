"""Real threads, each with its own MariaDB connection, racing on one debt.

These prove the row locks, not the Python: every thread calls the service
exactly as an API worker would.
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.tests.factories import DebtFactory, PaymentFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "mysql", reason="needs MariaDB/MySQL row locks"),
]


def _race(targets) -> list[BaseException]:
    """Run every callable in its own thread, released together; return their errors."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target):
        try:
            barrier.wait(timeout=30)
            target()
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return errors


def test_twenty_threads_completing_different_payments_leave_exactly_the_right_balance():
    debt = DebtFactory(original_amount=Decimal("10000.00"))
    amounts = [Decimal("12.34") + i for i in range(20)]
    payments = [PaymentFactory(debt=debt, amount=a) for a in amounts]

    errors = _race([lambda p=p: services.payment_complete(payment_id=p.pk) for p in payments])

    assert errors == []
    debt.refresh_from_db()
    assert debt.current_balance == Decimal("10000.00") - sum(amounts)
    assert Payment.objects.filter(debt=debt, status=PaymentStatus.COMPLETED).count() == 20
    assert debt.history.count() == 1 + 20  # creation + one audit row per completion


def test_the_same_payment_completed_from_two_threads_moves_money_once():
    debt = DebtFactory(original_amount=Decimal("500.00"))
    payment = PaymentFactory(debt=debt, amount=Decimal("125.00"))

    errors = _race([lambda: services.payment_complete(payment_id=payment.pk)] * 2)

    assert errors == []
    assert Debt.objects.get(pk=debt.pk).current_balance == Decimal("375.00")


def test_the_same_transaction_id_posted_from_two_threads_is_recorded_once():
    debt = DebtFactory(original_amount=Decimal("500.00"))

    def post():
        services.payment_create(debt_id=debt.pk, amount="50.00", transaction_id="AIRTEL-42", status=PaymentStatus.COMPLETED)

    errors = _race([post] * 2)

    assert errors == []
    assert Payment.objects.filter(transaction_id="AIRTEL-42").count() == 1
    assert Debt.objects.get(pk=debt.pk).current_balance == Decimal("450.00")


def test_racing_payments_for_more_than_the_balance_pay_it_off_and_refuse_the_rest():
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payments = [PaymentFactory(debt=debt, amount=Decimal("30.00")) for _ in range(5)]

    errors = _race([lambda p=p: services.payment_complete(payment_id=p.pk) for p in payments])

    # 30 + 30 + 30 fit in 100; a fourth and fifth would overdraw it.
    assert len(errors) == 2
    debt.refresh_from_db()
    assert debt.current_balance == Decimal("10.00")
    assert Payment.objects.filter(debt=debt, status=PaymentStatus.COMPLETED).count() == 3


def test_completion_and_refund_racing_keep_the_books_balanced(ops_admin):
    debt = DebtFactory(original_amount=Decimal("200.00"))
    done = services.payment_create(debt_id=debt.pk, amount="200.00", status=PaymentStatus.COMPLETED)
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.PAID_OFF
    pending = PaymentFactory(debt=debt, amount=Decimal("50.00"))

    errors = _race([
        lambda: services.payment_refund(payment_id=done.pk, refunded_by=ops_admin, reason="chargeback"),
        lambda: services.payment_complete(payment_id=pending.pk),
    ])

    debt.refresh_from_db()
    # Either order is legal; if the completion came first it was refused
    # (nothing left to pay) and the pending payment stays pending.
    completed = Payment.objects.filter(debt=debt, status=PaymentStatus.COMPLETED).values_list("amount", flat=True)
    assert debt.current_balance == Decimal("200.00") - sum(completed, Decimal("0"))
    assert len(errors) <= 1
    assert debt.status == DebtStatus.ACTIVE
