"""Completing and refunding payments moves the balance exactly once."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.tests.factories import DebtFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def _balance(debt) -> Decimal:
    return Debt.objects.get(pk=debt.pk).current_balance


def test_completing_a_payment_reduces_the_balance_and_records_the_last_payment():
    debt = DebtFactory(original_amount=Decimal("500.00"))
    paid_at = timezone.now() - timedelta(days=2)
    payment = services.payment_create(debt_id=debt.pk, amount="120.50", payment_date=paid_at, payment_method="mobile_money")
    assert payment.status == PaymentStatus.PENDING
    assert _balance(debt) == Decimal("500.00")

    services.payment_complete(payment_id=payment.pk)

    debt.refresh_from_db()
    assert debt.current_balance == Decimal("379.50")
    assert debt.last_payment_amount == Decimal("120.50")
    assert debt.last_payment_date == timezone.localtime(paid_at).date()
    assert debt.status == DebtStatus.ACTIVE
    assert Payment.objects.get(pk=payment.pk).completed_at is not None


def test_a_payment_created_completed_reduces_the_balance_at_once():
    debt = DebtFactory(original_amount=Decimal("5000.00"))
    services.payment_create(debt_id=debt.pk, amount=Decimal("200.00"), status=PaymentStatus.COMPLETED)
    assert _balance(debt) == Decimal("4800.00")


def test_paying_the_whole_balance_pays_the_debt_off():
    debt = DebtFactory(original_amount=Decimal("300.00"), days_past_due=12)
    services.payment_create(debt_id=debt.pk, amount="300", status=PaymentStatus.COMPLETED)
    debt.refresh_from_db()
    assert debt.current_balance == Decimal("0.00")
    assert debt.status == DebtStatus.PAID_OFF
    assert debt.days_past_due == 0


def test_completing_twice_moves_money_once():
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = PaymentFactory(debt=debt, amount=Decimal("40.00"))
    services.payment_complete(payment_id=payment.pk)
    again = services.payment_complete(payment_id=payment.pk)
    assert again.status == PaymentStatus.COMPLETED
    assert _balance(debt) == Decimal("60.00")


def test_replaying_a_transaction_id_returns_the_recorded_payment_and_moves_money_once():
    debt = DebtFactory(original_amount=Decimal("100.00"))
    first = services.payment_create(debt_id=debt.pk, amount="25.00", transaction_id="MTN-123", status=PaymentStatus.COMPLETED)
    replay = services.payment_create(debt_id=debt.pk, amount="25.00", transaction_id="MTN-123", status=PaymentStatus.COMPLETED)
    assert replay.pk == first.pk
    assert Payment.objects.filter(transaction_id="MTN-123").count() == 1
    assert _balance(debt) == Decimal("75.00")


def test_a_transaction_id_reused_for_another_amount_is_refused():
    debt = DebtFactory(original_amount=Decimal("100.00"))
    services.payment_create(debt_id=debt.pk, amount="25.00", transaction_id="MTN-9")
    with pytest.raises(ValidationError) as exc:
        services.payment_create(debt_id=debt.pk, amount="30.00", transaction_id="MTN-9")
    assert "transaction_id" in exc.value.message_dict


@pytest.mark.parametrize("amount", ["0", "-5", "0.00", "abc", "1.005"])
def test_an_amount_that_is_not_a_positive_sum_of_money_is_refused(amount):
    debt = DebtFactory()
    with pytest.raises(ValidationError) as exc:
        services.payment_create(debt_id=debt.pk, amount=amount)
    assert "amount" in exc.value.message_dict
    assert not Payment.objects.exists()


def test_a_payment_larger_than_the_balance_is_refused_with_the_overpayment_named():
    debt = DebtFactory(original_amount=Decimal("100.00"))
    with pytest.raises(ValidationError) as exc:
        services.payment_create(debt_id=debt.pk, amount="150.00")
    message = exc.value.message_dict["amount"][0]
    assert "100.00" in message and "50.00" in message
    assert _balance(debt) == Decimal("100.00")


def test_completing_a_pending_payment_that_no_longer_fits_the_balance_is_refused():
    debt = DebtFactory(original_amount=Decimal("100.00"))
    first = PaymentFactory(debt=debt, amount=Decimal("80.00"))
    second = PaymentFactory(debt=debt, amount=Decimal("30.00"))
    services.payment_complete(payment_id=first.pk)
    with pytest.raises(ValidationError):
        services.payment_complete(payment_id=second.pk)
    assert _balance(debt) == Decimal("20.00")
    assert Payment.objects.get(pk=second.pk).status == PaymentStatus.PENDING


@pytest.mark.parametrize("status", [DebtStatus.SETTLED, DebtStatus.WRITTEN_OFF])
def test_no_payment_on_a_settled_or_written_off_debt(status):
    debt = DebtFactory(status=status)
    with pytest.raises(ValidationError) as exc:
        services.payment_create(debt_id=debt.pk, amount="10.00")
    assert "accepts no payments" in exc.value.message_dict["debt"][0]


def test_refund_restores_the_balance_and_reopens_a_paid_off_debt(ops_admin):
    debt = DebtFactory(original_amount=Decimal("250.00"))
    early = services.payment_create(
        debt_id=debt.pk, amount="50.00", status=PaymentStatus.COMPLETED, payment_date=timezone.now() - timedelta(days=5)
    )
    last = services.payment_create(debt_id=debt.pk, amount="200.00", status=PaymentStatus.COMPLETED)
    debt.refresh_from_db()
    assert debt.status == DebtStatus.PAID_OFF

    services.payment_refund(payment_id=last.pk, refunded_by=ops_admin, reason="bounced")

    debt.refresh_from_db()
    assert debt.current_balance == Decimal("200.00")
    assert debt.status == DebtStatus.ACTIVE
    # The last payment is now the one that was kept.
    assert debt.last_payment_amount == early.amount
    refunded = Payment.objects.get(pk=last.pk)
    assert refunded.status == PaymentStatus.REFUNDED and refunded.refund_reason == "bounced"


def test_refunding_twice_restores_once(ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = services.payment_create(debt_id=debt.pk, amount="60.00", status=PaymentStatus.COMPLETED)
    services.payment_refund(payment_id=payment.pk, refunded_by=ops_admin, reason="chargeback")
    services.payment_refund(payment_id=payment.pk, refunded_by=ops_admin, reason="chargeback")
    assert _balance(debt) == Decimal("100.00")


def test_only_completed_payments_can_be_refunded_and_only_pending_ones_completed(ops_admin):
    debt = DebtFactory()
    payment = PaymentFactory(debt=debt)
    with pytest.raises(ValidationError):
        services.payment_refund(payment_id=payment.pk, refunded_by=ops_admin, reason="mistake")
    services.payment_fail(payment_id=payment.pk, reason="insufficient funds")
    with pytest.raises(ValidationError):
        services.payment_complete(payment_id=payment.pk)
    assert _balance(debt) == debt.original_amount


def test_a_completed_payment_amount_cannot_be_edited():
    debt = DebtFactory()
    payment = services.payment_create(debt_id=debt.pk, amount="10.00", status=PaymentStatus.COMPLETED)
    with pytest.raises(ValidationError) as exc:
        services.payment_update(payment_id=payment.pk, data={"amount": Decimal("5.00")})
    assert "amount" in exc.value.message_dict
    services.payment_update(payment_id=payment.pk, data={"notes": "receipt 77"})
    assert Payment.objects.get(pk=payment.pk).notes == "receipt 77"
