"""Issue 13: a customer with debts (or payments) is never deleted — not from
the admin's delete page, not from "delete selected", not over the API; the
refusal comes from ``customers.services`` and says what to do instead."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import services
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from debts import services as debt_services
from debts.choices import PaymentStatus
from debts.models import Debt
from debts.tests.factories import DebtFactory

pytestmark = pytest.mark.django_db


def _customer_with_money() -> Customer:
    debt = DebtFactory(original_amount=Decimal("100.00"))
    debt_services.payment_create(debt_id=debt.pk, amount="25.00", status=PaymentStatus.COMPLETED)
    return debt.customer


def test_the_service_refuses_a_customer_with_debts_and_deletes_one_without(ops_admin):
    customer = _customer_with_money()
    with pytest.raises(ValidationError) as exc:
        services.customer_delete(customer_id=customer.pk, deleted_by=ops_admin)
    message = exc.value.messages[0]
    assert "cannot be deleted" in message and "1 debt," in message and "1 payment." in message and "close the account" in message
    assert Debt.objects.get(customer=customer).current_balance == Decimal("75.00")

    nobody = CustomerFactory()
    services.customer_delete(customer_id=nobody.pk, deleted_by=ops_admin)
    assert not Customer.objects.filter(pk=nobody.pk).exists()


def test_the_admin_delete_page_refuses_a_customer_with_debts(client, ops_admin):
    customer = _customer_with_money()
    client.force_login(ops_admin)
    url = reverse("admin:customers_customer_delete", args=[customer.pk])
    for response in (client.get(url, follow=True), client.post(url, {"post": "yes"}, follow=True)):
        html = response.content.decode()
        assert "Not deleted" in html and "cannot be deleted" in html
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Debt.objects.get(customer=customer).current_balance == Decimal("75.00")


def test_delete_selected_refuses_customers_with_debts_and_deletes_nothing(client, ops_admin):
    customer, nobody = _customer_with_money(), CustomerFactory()
    client.force_login(ops_admin)
    url = reverse("admin:customers_customer_changelist")
    selected = {"action": "delete_selected", "_selected_action": [customer.pk, nobody.pk]}
    confirm = client.post(url, selected).content.decode()
    assert "Cannot delete" in confirm and f"Customer #{customer.pk}" in confirm and "cannot be deleted" in confirm
    client.post(url, {**selected, "post": "yes"})
    assert Customer.objects.filter(pk__in=[customer.pk, nobody.pk]).count() == 2

    # Alone, a customer no money has touched is deleted (through the service).
    client.post(url, {"action": "delete_selected", "_selected_action": [nobody.pk], "post": "yes"})
    assert not Customer.objects.filter(pk=nobody.pk).exists()


@pytest.mark.parametrize("who", ["ops", "agent", "analyst", "reader", "outsider"])
def test_the_api_has_no_customer_delete(request, who):
    customer = _customer_with_money()
    response = request.getfixturevalue(f"{who}_client").delete(f"/api/v1/customers/{customer.pk}/")
    assert response.status_code in (403, 405)
    assert Customer.objects.filter(pk=customer.pk).exists()
