"""The customer admin page: collections summary, masked identifiers, saves through services."""
from __future__ import annotations

import pytest
from django.urls import reverse

from customers import services
from customers.models import Customer
from debts import services as debt_services
from debts.choices import PaymentStatus

pytestmark = pytest.mark.django_db


def test_customer_page_shows_the_summary_and_masks_the_ssn(client, ops_admin):
    customer = services.customer_create(full_name="Okello P", primary_phone="0772555666", ssn="123-45-6789")
    services.bank_account_create(customer_id=customer.pk, account_type="savings", account_number="44445555", is_primary=True)
    debt = debt_services.debt_create(customer_id=customer.pk, original_amount="900.00")
    debt_services.payment_create(debt_id=debt.pk, amount="150.00", status=PaymentStatus.COMPLETED)
    client.force_login(ops_admin)

    html = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert "Total debt" in html and "UGX 750" in html and "UGX 150" in html
    assert "••••6789" in html and "123-45-6789" not in html
    assert "••••5555" in html and "44445555" not in html


def test_saving_in_the_admin_normalises_through_the_service(client, ops_admin):
    client.force_login(ops_admin)
    response = client.post(reverse("admin:customers_customer_add"), {
        "full_name": "Nakato S", "primary_phone": "0772 111 333", "ssn": "123456780", "country": "UG",
        "timezone": "Africa/Kampala", "account_status": "active",
        "bank_accounts-TOTAL_FORMS": "0", "bank_accounts-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    customer = Customer.objects.get()
    assert customer.primary_phone == "+256772111333" and customer.ssn == "123-45-6780" and customer.fingerprint
    assert customer.history.first().history_user == ops_admin


def test_customer_history_page_is_visible(client, ops_admin):
    customer = services.customer_create(full_name="Auma R", primary_phone="+256772000777")
    services.customer_update(customer_id=customer.pk, data={"city": "Lira"}, updated_by=ops_admin)
    client.force_login(ops_admin)
    response = client.get(reverse("admin:customers_customer_history", args=[customer.pk]))
    assert response.status_code == 200 and Customer.history.filter(id=customer.pk).count() == 2
