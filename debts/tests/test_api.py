"""The collections API, end to end through the services, for each role."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from debts import services
from debts.choices import DebtStatus, PaymentStatus
from debts.models import Debt, Payment, PromiseToPay
from debts.tests.factories import CommunicationLogFactory, CustomerFactory, DebtFactory, PaymentFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_ops_records_a_debt_and_a_completed_payment_with_seed_field_names(ops_client):
    customer = CustomerFactory()
    created = ops_client.post(f"{API}/debts/", {
        "customer": customer.pk, "debt_type": "credit_card", "original_amount": "5000.00", "interest_rate": "19.99",
        "minimum_payment": "150.00", "issue_date": "2024-01-15", "due_date": "2025-02-15", "account_number": "4111 1111 1111 1234",
    }, format="json")
    assert created.status_code == 201, created.json()
    debt = created.json()
    assert debt["current_balance"] == "5000.00" and debt["status"] == DebtStatus.ACTIVE
    assert debt["account_number"] == "••••1234"

    paid = ops_client.post(f"{API}/payments/", {
        "debt": debt["id"], "amount": "200.00", "payment_method": "bank_transfer", "status": "COMPLETED",
    }, format="json")
    assert paid.status_code == 201, paid.json()
    assert paid.json()["customer"] == customer.pk
    assert ops_client.get(f"{API}/debts/{debt['id']}/").json()["current_balance"] == "4800.00"


def test_a_balance_cannot_be_edited_over_the_api(ops_client):
    debt = DebtFactory()
    response = ops_client.patch(f"{API}/debts/{debt.pk}/", {"current_balance": "1.00"}, format="json")
    assert response.status_code == 400
    assert "current_balance" in response.json()
    assert Debt.objects.get(pk=debt.pk).current_balance == debt.current_balance


def test_an_overpayment_is_a_400_naming_the_amount(agent_client):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    response = agent_client.post(f"{API}/payments/", {"debt": debt.pk, "amount": "100.01"}, format="json")
    assert response.status_code == 400
    assert "outstanding balance 100.00" in response.json()["amount"][0]


def test_replaying_a_transaction_id_answers_200_with_the_same_payment(agent_client):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    body = {"debt": debt.pk, "amount": "40.00", "transaction_id": "TX-1", "status": "COMPLETED"}
    first = agent_client.post(f"{API}/payments/", body, format="json")
    second = agent_client.post(f"{API}/payments/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Debt.objects.get(pk=debt.pk).current_balance == Decimal("60.00")


def test_agent_completes_but_cannot_refund_ops_can(agent_client, ops_client):
    debt = DebtFactory(original_amount=Decimal("100.00"))
    payment = PaymentFactory(debt=debt, amount=Decimal("100.00"))
    done = agent_client.post(f"{API}/payments/{payment.pk}/complete/")
    assert done.status_code == 200 and done.json()["status"] == PaymentStatus.COMPLETED
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.PAID_OFF

    assert agent_client.post(f"{API}/payments/{payment.pk}/refund/", {"reason": "x"}, format="json").status_code == 403
    refunded = ops_client.post(f"{API}/payments/{payment.pk}/refund/", {"reason": "chargeback"}, format="json")
    assert refunded.status_code == 200 and refunded.json()["status"] == PaymentStatus.REFUNDED
    debt.refresh_from_db()
    assert (debt.current_balance, debt.status) == (Decimal("100.00"), DebtStatus.ACTIVE)


def test_settle_and_write_off_are_for_ops_admins_only(agent_client, ops_client, analyst_client):
    debt = DebtFactory(original_amount=Decimal("800.00"))
    body = {"settled_amount": "500.00", "reason": "hardship"}
    assert agent_client.post(f"{API}/debts/{debt.pk}/settle/", body, format="json").status_code == 403
    assert analyst_client.post(f"{API}/debts/{debt.pk}/settle/", body, format="json").status_code == 403
    assert agent_client.post(f"{API}/debts/{debt.pk}/write-off/", {"reason": "x"}, format="json").status_code == 403
    settled = ops_client.post(f"{API}/debts/{debt.pk}/settle/", body, format="json")
    assert settled.status_code == 200
    assert settled.json()["status"] == DebtStatus.SETTLED and settled.json()["settled_amount"] == "500.00"
    # Closed for good: no more payments, no write-off on top.
    assert ops_client.post(f"{API}/payments/", {"debt": debt.pk, "amount": "1.00"}, format="json").status_code == 400
    assert ops_client.post(f"{API}/debts/{debt.pk}/write-off/", {"reason": "x"}, format="json").status_code == 400


def test_an_analyst_reads_but_cannot_record_payments(analyst_client):
    debt = DebtFactory()
    assert analyst_client.get(f"{API}/debts/").status_code == 200
    assert analyst_client.post(f"{API}/payments/", {"debt": debt.pk, "amount": "1.00"}, format="json").status_code == 403


def test_an_outsider_sees_nothing(outsider_client):
    DebtFactory()
    for path in ("debts/", "payments/", "communication-logs/", "promises/", "reports/aging/"):
        assert outsider_client.get(f"{API}/{path}").status_code == 403, path


def test_agent_logs_a_call_and_records_a_promise_from_it(agent_client, agent):
    debt = DebtFactory()
    log = agent_client.post(f"{API}/communication-logs/", {
        "customer": debt.customer_id, "debt": debt.pk, "communication_type": "CALL", "direction": "outbound",
        "duration_seconds": 180, "contact_phone": "0772 123456", "outcome": "payment_promised", "notes": "end of week",
    }, format="json")
    assert log.status_code == 201, log.json()
    assert log.json()["agent_id"] == agent.username and log.json()["contact_phone"] == "+256772123456"
    promised = agent_client.post(f"{API}/promises/", {
        "debt": debt.pk, "amount": "100.00", "promised_date": str(timezone.localdate() + timedelta(days=5)),
        "communication_log": log.json()["id"],
    }, format="json")
    assert promised.status_code == 201, promised.json()
    assert PromiseToPay.objects.get().customer_id == debt.customer_id
    debt.customer.refresh_from_db()
    assert debt.customer.last_contact_date is not None


@pytest.mark.parametrize("channel", ["CALL", "EMAIL", "SMS", "LETTER", "IN_PERSON"])
def test_every_seed_channel_can_be_logged(agent_client, channel):
    customer = CustomerFactory()
    response = agent_client.post(f"{API}/communication-logs/", {
        "customer": customer.pk, "communication_type": channel, "direction": "inbound", "outcome": "connected",
    }, format="json")
    assert response.status_code == 201, response.json()


def test_a_promise_in_the_past_is_refused(agent_client):
    debt = DebtFactory()
    response = agent_client.post(f"{API}/promises/", {
        "debt": debt.pk, "amount": "10.00", "promised_date": str(timezone.localdate() - timedelta(days=1)),
    }, format="json")
    assert response.status_code == 400 and "promised_date" in response.json()


def test_aging_report_by_branch(analyst_client):
    DebtFactory(days_past_due=0, current_balance=Decimal("100.00"), branch="A", cluster="C1")
    DebtFactory(days_past_due=30, current_balance=Decimal("10.00"), branch="A", cluster="C1")
    DebtFactory(days_past_due=31, current_balance=Decimal("20.00"), branch="B", cluster="C1")
    DebtFactory(days_past_due=91, current_balance=Decimal("40.00"), branch="B", cluster="C1")
    DebtFactory(days_past_due=200, current_balance=Decimal("0.00"), status=DebtStatus.PAID_OFF, branch="B")
    report = analyst_client.get(f"{API}/reports/aging/", {"group_by": "branch"}).json()
    totals = {b["bucket"]: (b["count"], b["balance"]) for b in report["totals"]["buckets"]}
    assert totals == {
        "current": (1, "100.00"), "d1_30": (1, "10.00"), "d31_60": (1, "20.00"), "d61_90": (0, "0.00"), "d90_plus": (1, "40.00"),
    }
    assert [g["branch"] for g in report["groups"]] == ["A", "B"]
    assert report["groups"][1]["total_balance"] == "60.00"
    assert analyst_client.get(f"{API}/reports/aging/", {"group_by": "planet"}).status_code == 400


def test_customer_summary(agent_client, ops_admin):
    customer = CustomerFactory()
    open_debt = DebtFactory(customer=customer, original_amount=Decimal("1000.00"), days_past_due=12)
    DebtFactory(customer=customer, original_amount=Decimal("50.00"), current_balance=Decimal("0"), status=DebtStatus.PAID_OFF)
    services.payment_create(debt_id=open_debt.pk, amount="250.00", status=PaymentStatus.COMPLETED)
    refunded = services.payment_create(debt_id=open_debt.pk, amount="100.00", status=PaymentStatus.COMPLETED)
    services.payment_refund(payment_id=refunded.pk, refunded_by=ops_admin, reason="bounced")
    CommunicationLogFactory(customer=customer, outcome="no_answer")

    summary = agent_client.get(f"{API}/customers/{customer.pk}/summary/").json()

    assert summary["total_debt"] == "750.00"
    assert summary["active_debt_count"] == 1 and summary["debt_count"] == 2
    assert summary["total_paid"] == "250.00"
    assert summary["worst_days_past_due"] == 12
    assert summary["last_payment"]["amount"] == "250.00"
    assert summary["last_contact"]["outcome"] == "no_answer"


def test_debt_list_is_paginated_filtered_and_does_not_query_per_row(ops_client):
    for i in range(12):
        DebtFactory(status=DebtStatus.DEFAULTED if i % 2 else DebtStatus.ACTIVE, days_past_due=i * 10)
    with CaptureQueriesContext(connection) as queries:
        page = ops_client.get(f"{API}/debts/", {"status": "DEFAULTED", "page_size": 4, "min_days_past_due": 30}).json()
    assert page["count"] == 5 and len(page["results"]) == 4
    assert len(queries) <= 8  # auth + permissions + count + page, not one per debt


def test_payments_filter_by_debt_and_status(ops_client):
    debt = DebtFactory()
    PaymentFactory(debt=debt)
    PaymentFactory()
    response = ops_client.get(f"{API}/payments/", {"debt": debt.pk, "status": "PENDING"}).json()
    assert response["count"] == 1 and Payment.objects.count() == 2
