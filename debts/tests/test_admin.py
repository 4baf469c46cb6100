"""The collections admin: actions behind their permissions, the aging page,
history that cannot be reverted."""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Disposition, Payment
from debts.tests.factories import CommunicationLogFactory, DebtFactory, PaymentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:debts_debt_changelist"


def _login(client, user):
    client.force_login(user)
    return client


def _actions(client, url):
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["action_form"]  # None when the user has no action at all
    return [name for name, _label in form.fields["action"].choices] if form else []


def test_ops_admin_sees_settle_and_write_off_but_an_agent_does_not(client, ops_admin, agent):
    DebtFactory()
    assert {"settle_debts", "write_off_debts"} <= set(_actions(_login(client, ops_admin), reverse(CHANGELIST)))
    client.logout()
    agent_actions = set(_actions(_login(client, agent), reverse(CHANGELIST)))
    assert "settle_debts" not in agent_actions and "write_off_debts" not in agent_actions


def test_settle_action_asks_for_amounts_and_a_reason_then_records_who_and_why(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("900.00"))
    _login(client, ops_admin)
    url = reverse(CHANGELIST)
    page = client.post(url, {"action": "settle_debts", "_selected_action": [debt.pk]})
    assert page.status_code == 200 and f'name="amount_{debt.pk}"' in page.content.decode()

    client.post(url, {"action": "settle_debts", "_selected_action": [debt.pk], "apply": "1",
                      f"amount_{debt.pk}": "600.00", "reason": "hardship agreement"})

    debt.refresh_from_db()
    assert debt.status == DebtStatus.SETTLED
    assert debt.settled_amount == Decimal("600.00")
    assert debt.closed_by == ops_admin and debt.closed_reason == "hardship agreement"
    assert debt.history.first().history_user == ops_admin


def test_an_agent_posting_the_settle_action_changes_nothing(client, agent):
    debt = DebtFactory()
    _login(client, agent)
    client.post(reverse(CHANGELIST), {"action": "settle_debts", "_selected_action": [debt.pk], "apply": "1",
                                      f"amount_{debt.pk}": "1.00", "reason": "x"})
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.ACTIVE


def test_write_off_action_needs_a_reason(client, ops_admin):
    debt = DebtFactory()
    _login(client, ops_admin)
    client.post(reverse(CHANGELIST), {"action": "write_off_debts", "_selected_action": [debt.pk], "apply": "1", "reason": ""})
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.ACTIVE
    client.post(reverse(CHANGELIST), {"action": "write_off_debts", "_selected_action": [debt.pk], "apply": "1", "reason": "deceased"})
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.WRITTEN_OFF


def test_complete_and_refund_actions_move_the_balance(client, ops_admin, agent):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = PaymentFactory(debt=debt, amount=Decimal("100.00"))
    url = reverse("admin:debts_payment_changelist")
    _login(client, agent)
    assert "refund_payments" not in _actions(client, url)
    client.post(url, {"action": "complete_payments", "_selected_action": [payment.pk]})
    debt.refresh_from_db()
    assert (debt.current_balance, debt.status) == (Decimal("0.00"), DebtStatus.PAID_OFF)

    client.logout()
    _login(client, ops_admin)
    client.post(url, {"action": "refund_payments", "_selected_action": [payment.pk], "apply": "1", "reason": "chargeback"})
    debt.refresh_from_db()
    assert (debt.current_balance, debt.status) == (Decimal("100.00"), DebtStatus.ACTIVE)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED


def test_adding_a_completed_payment_in_the_admin_goes_through_the_service(client, agent):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    _login(client, agent)
    response = client.post(reverse("admin:debts_payment_add"), {
        "debt": debt.pk, "amount": "30.00", "payment_date_0": f"{timezone.localdate():%Y-%m-%d}", "payment_date_1": "00:00:01",
        "payment_method": "cash", "transaction_id": "", "status": "COMPLETED", "notes": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    payment = Payment.objects.get()
    assert payment.recorded_by == agent and payment.customer_id == debt.customer_id
    assert Debt.objects.get(pk=debt.pk).current_balance == Decimal("70.00")


def test_an_overpayment_added_in_the_admin_is_refused_with_a_message(client, ops_admin):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    _login(client, ops_admin)
    response = client.post(reverse("admin:debts_payment_add"), {
        "debt": debt.pk, "amount": "130.00", "payment_date_0": f"{timezone.localdate():%Y-%m-%d}", "payment_date_1": "00:00:01",
        "payment_method": "cash", "status": "COMPLETED",
    }, follow=True)
    assert "more than the outstanding balance" in response.content.decode()
    assert not Payment.objects.exists()


def test_aging_report_page_shows_buckets_and_a_chart(client, ops_admin):
    DebtFactory(days_past_due=0, current_balance=Decimal("100.00"))
    DebtFactory(days_past_due=45, current_balance=Decimal("250.00"), branch="Gulu", cluster="North")
    response = _login(client, ops_admin).get(reverse("admin:debts_debt_aging_report"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="aging-chart"' in html and "chart-4.6.1.umd.min.js" in html
    assert "31–60" in html and "Gulu" in html
    assert response.context["report"]["totals"]["total_balance"] == Decimal("350.00")
    # The chart reads its numbers from a JSON object embedded in the page.
    data = json.loads(re.search(r'<script id="aging-data" type="application/json">(.*?)</script>', html).group(1))
    assert data["labels"][0] == "Current" and data["balances"] == ["100.00", "0.00", "250.00", "0.00", "0.00"]


def test_aging_report_page_needs_view_permission(client, outsider):
    outsider.is_staff = True
    outsider.save()
    response = _login(client, outsider).get(reverse("admin:debts_debt_aging_report"))
    assert response.status_code == 403


def test_debt_history_is_visible_and_cannot_be_reverted(client, ops_admin):
    debt = DebtFactory()
    services.payment_create(debt_id=debt.pk, amount="10.00", status=PaymentStatus.COMPLETED)
    _login(client, ops_admin)
    history = client.get(reverse("admin:debts_debt_history", args=[debt.pk]))
    assert history.status_code == 200 and "payment #" in history.content.decode()
    oldest = debt.history.order_by("history_id").first()
    url = reverse("admin:debts_debt_simple_history", args=[debt.pk, oldest.history_id])
    assert client.post(url, {}).status_code == 403
    assert Debt.objects.get(pk=debt.pk).current_balance == debt.original_amount - Decimal("10.00")


def test_money_fields_are_read_only_on_the_debt_page(client, ops_admin):
    debt = DebtFactory()
    response = _login(client, ops_admin).get(reverse("admin:debts_debt_change", args=[debt.pk]))
    form = response.context["adminform"].form
    assert "current_balance" not in form.fields or form.fields["current_balance"].disabled or "current_balance" in response.context["adminform"].readonly_fields
    assert "status" not in form.fields


def test_the_customer_page_shows_the_collections_summary_debts_and_contacts(admin_client):
    # debts adds these to the customer admin (customers cannot import debts).
    debt = DebtFactory(loan_id="LN-INLINE-1")
    CommunicationLogFactory(customer=debt.customer, outcome="payment_promised", disposition=Disposition.objects.get(code="payment_promised"))
    page = admin_client.get(reverse("admin:customers_customer_change", args=[debt.customer_id])).content.decode()
    assert page.index("Collections summary") < page.index("Identity")
    assert "LN-INLINE-1" in page and "Promise to pay" in page
    assert admin_client.get(reverse("admin:customers_customer_add")).content.decode().count("Collections summary") == 0
