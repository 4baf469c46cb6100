"""Issue 13: a payment is for its debt's own customer, dated between the
debt's issue and now — refused by the service, whether it comes from the
API or the admin."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment
from debts.tests.factories import CustomerFactory, DebtFactory, PaymentFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _money(debt) -> tuple:
    fresh = Debt.objects.get(pk=debt.pk)
    return fresh.current_balance, fresh.status


def _local(day, at=time(12)) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


# --------------------------------------------------------------------------
# another customer's debt


def test_the_service_refuses_a_payment_naming_another_customer_and_names_both():
    debt = DebtFactory(customer=CustomerFactory(full_name="Nakato Sarah"), original_amount=Decimal("100.00"))
    stranger = CustomerFactory(full_name="Okello John")
    with pytest.raises(ValidationError) as exc:
        services.payment_create(debt_id=debt.pk, customer_id=stranger.pk, amount="10.00", status=PaymentStatus.COMPLETED)
    message = exc.value.message_dict["customer"][0]
    assert f"customer #{debt.customer_id} (Nakato Sarah)" in message and f"customer #{stranger.pk} (Okello John)" in message
    assert not Payment.objects.exists() and _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)


@pytest.mark.parametrize("who", ["ops", "agent"])
def test_the_api_refuses_a_payment_for_another_customers_debt_instead_of_replacing_the_customer(request, who):
    client = request.getfixturevalue(f"{who}_client")
    debt = DebtFactory(original_amount=Decimal("100.00"))
    stranger = CustomerFactory()
    response = client.post(f"{API}/payments/", {"debt": debt.pk, "customer": stranger.pk, "amount": "10.00", "status": "COMPLETED"},
                           format="json")
    assert response.status_code == 400
    message = response.json()["customer"][0]
    assert f"customer #{debt.customer_id}" in message and f"customer #{stranger.pk}" in message
    assert not Payment.objects.exists() and _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)

    # Naming the debt's own customer, or nobody, is the same payment.
    for body in ({"customer": debt.customer_id}, {}):
        created = client.post(f"{API}/payments/", {"debt": debt.pk, "amount": "10.00", **body}, format="json")
        assert created.status_code == 201 and created.json()["customer"] == debt.customer_id


@pytest.mark.parametrize("who", ["reader", "outsider", "analyst"])
def test_roles_that_cannot_record_payments_are_refused_before_any_rule(request, who):
    client = request.getfixturevalue(f"{who}_client")
    debt = DebtFactory(original_amount=Decimal("100.00"))
    response = client.post(f"{API}/payments/", {"debt": debt.pk, "customer": CustomerFactory().pk, "amount": "10.00"}, format="json")
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_the_admin_refuses_a_payment_for_another_customers_debt(client, agent):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    stranger = CustomerFactory()
    client.force_login(agent)
    response = client.post(reverse("admin:debts_payment_add"), {
        "debt": debt.pk, "customer": stranger.pk, "amount": "30.00", "payment_date_0": f"{timezone.localdate():%Y-%m-%d}",
        "payment_date_1": "00:00:01", "payment_method": "cash", "status": "COMPLETED",
    }, follow=True)
    html = response.content.decode()
    assert "Not saved" in html and f"belongs to customer #{debt.customer_id}" in html and f"customer #{stranger.pk}" in html
    assert not Payment.objects.exists() and _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)


# --------------------------------------------------------------------------
# payment dates


def test_the_service_refuses_a_payment_dated_in_the_future_or_before_the_debt_was_issued():
    issued = timezone.localdate() - timedelta(days=30)
    debt = DebtFactory(original_amount=Decimal("100.00"), issue_date=issued)
    with pytest.raises(ValidationError, match="is in the future"):
        services.payment_create(debt_id=debt.pk, amount="10.00", payment_date=timezone.now() + timedelta(minutes=5))
    with pytest.raises(ValidationError, match=f"is before debt #{debt.pk} was issued \\({issued:%Y-%m-%d}\\)"):
        services.payment_create(debt_id=debt.pk, amount="10.00", payment_date=_local(issued - timedelta(days=1), time(23, 59)))
    assert not Payment.objects.exists()
    # The issue day itself, local time, and now are fine.
    services.payment_create(debt_id=debt.pk, amount="10.00", payment_date=_local(issued, time(0, 1)), status=PaymentStatus.COMPLETED)
    services.payment_create(debt_id=debt.pk, amount="10.00", status=PaymentStatus.COMPLETED)
    assert _money(debt) == (Decimal("80.00"), DebtStatus.ACTIVE)


@pytest.mark.parametrize("when", ["2030-01-01T10:00:00+03:00", "1999-06-01T10:00:00+03:00"])
@pytest.mark.parametrize("who", ["ops", "agent"])
def test_the_api_refuses_payment_dates_of_2030_and_1999(request, who, when):
    client = request.getfixturevalue(f"{who}_client")
    debt = DebtFactory(original_amount=Decimal("100.00"))
    response = client.post(f"{API}/payments/", {"debt": debt.pk, "amount": "10.00", "payment_date": when, "status": "COMPLETED"},
                           format="json")
    assert response.status_code == 400
    assert ("in the future" if when.startswith("2030") else "before debt") in response.json()["payment_date"][0]
    assert not Payment.objects.exists() and _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)


def test_moving_a_pending_payments_date_out_of_range_is_refused(agent_client):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    pending = PaymentFactory(debt=debt)
    response = agent_client.patch(f"{API}/payments/{pending.pk}/", {"payment_date": "2030-01-01T10:00:00+03:00"}, format="json")
    assert response.status_code == 400 and "in the future" in response.json()["payment_date"][0]
    assert Payment.objects.get(pk=pending.pk).payment_date == pending.payment_date


def test_the_admin_refuses_a_payment_dated_before_the_debt_was_issued(client, agent):
    debt = DebtFactory(original_amount=Decimal("100.00"), issue_date=timezone.localdate() - timedelta(days=10))
    client.force_login(agent)
    response = client.post(reverse("admin:debts_payment_add"), {
        "debt": debt.pk, "amount": "30.00", "payment_date_0": "1999-01-05", "payment_date_1": "10:00:00",
        "payment_method": "cash", "status": "COMPLETED",
    }, follow=True)
    assert "Not saved" in response.content.decode() and "before debt" in response.content.decode()
    assert not Payment.objects.exists() and _money(debt) == (Decimal("100.00"), DebtStatus.ACTIVE)
