"""Property: whatever sequence of payments, completions, failures and
refunds happens, original − completed + refunded = balance, never negative."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.tests.factories import CustomerFactory, DebtFactory

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400.00"), places=2)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), amounts, st.booleans()),  # (op, amount, created COMPLETED?)
        st.tuples(st.just("complete"), st.integers(min_value=0, max_value=30)),
        st.tuples(st.just("fail"), st.integers(min_value=0, max_value=30)),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=30)),
    ),
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(original=st.decimals(min_value=Decimal("1.00"), max_value=Decimal("1000.00"), places=2), ops=operations)
def test_balance_is_original_minus_completed_plus_refunded(ops_admin, original, ops):
    debt = DebtFactory(customer=CustomerFactory(), original_amount=original)
    created: list[int] = []
    completed = refunded = Decimal("0.00")
    for op in ops:
        try:
            if op[0] == "pay":
                status = PaymentStatus.COMPLETED if op[2] else PaymentStatus.PENDING
                payment = services.payment_create(debt_id=debt.pk, amount=op[1], status=status)
                created.append(payment.pk)
                if op[2]:
                    completed += op[1]
            elif created:
                payment_id = created[op[1] % len(created)]
                before = Payment.objects.get(pk=payment_id).status
                if op[0] == "complete":
                    services.payment_complete(payment_id=payment_id)
                    if before == PaymentStatus.PENDING:
                        completed += Payment.objects.get(pk=payment_id).amount
                elif op[0] == "fail":
                    services.payment_fail(payment_id=payment_id)
                else:
                    services.payment_refund(payment_id=payment_id, refunded_by=ops_admin, reason="property test")
                    if before == PaymentStatus.COMPLETED:
                        refunded += Payment.objects.get(pk=payment_id).amount
        except ValidationError:
            pass  # refused operations must change nothing: checked below

        debt.refresh_from_db()
        assert debt.current_balance == original - completed + refunded
        assert debt.current_balance >= 0
        assert (debt.status == DebtStatus.PAID_OFF) == (debt.current_balance == 0)

    # The ledger agrees with the debt row: only payments that are still
    # COMPLETED count (a refunded one was completed, then given back).
    still_completed = sum(
        Payment.objects.filter(debt_id=debt.pk, status=PaymentStatus.COMPLETED).values_list("amount", flat=True), Decimal("0")
    )
    assert Debt.objects.get(pk=debt.pk).current_balance == original - still_completed
