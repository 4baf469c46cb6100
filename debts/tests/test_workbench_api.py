"""The workbench API, each endpoint for each role: the work queue, assigning
debts, dispositions, approvals (and the settle / write-off / refund doors
that route to them), and the money display fields."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import roles
from debts import services
from debts.choices import ApprovalStatus, DebtStatus, PaymentStatus
from debts.models import ApprovalRequest, Debt, Disposition
from debts.tests.factories import CustomerFactory, DebtFactory


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def lead(db, django_user_model):
    user = django_user_model.objects.create_user(username="lead", password="pw-lead")
    roles.sync_roles()
    user.groups.add(Group.objects.get(name=roles.TEAM_LEAD))
    return user


@pytest.fixture
def lead_client(lead):
    return _client(lead)


@pytest.fixture
def second_ops_client(db, django_user_model, ops_admin):
    user = django_user_model.objects.create_user(username="ops2", password="pw-ops2")
    user.groups.add(Group.objects.get(name=roles.OPS_ADMIN))
    return _client(user)


@pytest.fixture
def threshold(settings):
    settings.APPROVAL_THRESHOLD_UGX = 1000
    return settings


def _assigned(user, **extra):
    return DebtFactory(customer=CustomerFactory(), assigned_to=user, **extra)


# --------------------------------------------------------------------------
# GET /api/v1/work-queue/


def test_work_queue_answers_the_agent_their_own_rows_with_display_fields(agent, agent_client, ops_admin):
    mine = _assigned(agent, days_past_due=45, current_balance=Decimal("1250000.00"), original_amount=Decimal("1250000.00"),
                     due_amount=Decimal("100000.50"))
    _assigned(ops_admin, days_past_due=90)
    answer = agent_client.get("/api/v1/work-queue/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == mine.pk and row["dpd_bucket"] == "d31_60" and row["days_past_due"] == 45
    assert row["current_balance"] == "1250000.00" and row["current_balance_display"] == "UGX 1,250,000"
    assert row["amount_overdue"] == "100000.50" and row["amount_overdue_display"] == "UGX 100,000.50"
    assert row["customer_name"] == mine.customer.full_name and row["assigned_to_username"] == "agent"
    assert set(row) >= {"promise_today", "callable_now", "last_contact_at", "next_action_date"}


def test_work_queue_scopes_per_role(agent_client, lead_client, ops_client, reader_client, outsider_client, api_client, agent, lead):
    _assigned(agent)
    _assigned(lead)
    _assigned(None)
    assert agent_client.get("/api/v1/work-queue/", {"scope": "team"}).status_code == 403
    assert agent_client.get("/api/v1/work-queue/", {"scope": "all"}).status_code == 403
    assert lead_client.get("/api/v1/work-queue/", {"scope": "team"}).json()["count"] == 2
    assert ops_client.get("/api/v1/work-queue/", {"scope": "all"}).json()["count"] == 3
    assert reader_client.get("/api/v1/work-queue/").json()["count"] == 0
    assert outsider_client.get("/api/v1/work-queue/").status_code == 403
    assert api_client.get("/api/v1/work-queue/").status_code in (401, 403)


def test_work_queue_refuses_bad_filters_with_the_field_named(agent_client):
    for params, field in (({"ordering": "nope"}, "ordering"), ({"dpd_bucket": "x"}, "dpd_bucket"), ({"status": "PAID_OFF"}, "status"),
                          ({"scope": "x"}, "scope"), ({"assigned_to": "x"}, "assigned_to")):
        answer = agent_client.get("/api/v1/work-queue/", params)
        assert answer.status_code == 400 and field in answer.json(), params


def test_work_queue_sorts_by_a_column(ops_client, ops_admin):
    low, high = _assigned(ops_admin, days_past_due=3), _assigned(ops_admin, days_past_due=30)
    ids = [r["id"] for r in ops_client.get("/api/v1/work-queue/", {"ordering": "days_past_due"}).json()["results"]]
    assert ids == [low.pk, high.pk]
    ids = [r["id"] for r in ops_client.get("/api/v1/work-queue/", {"ordering": "-days_past_due"}).json()["results"]]
    assert ids == [high.pk, low.pk]


# --------------------------------------------------------------------------
# POST /api/v1/debts/assign/


def test_assign_per_role(lead_client, ops_client, agent_client, reader_client, outsider_client, agent):
    debts = [DebtFactory(branch="Gulu") for _ in range(3)]
    body = {"assigned_to": agent.pk, "branch": "Gulu"}
    for client in (agent_client, reader_client):
        assert client.post("/api/v1/debts/assign/", body, format="json").status_code == 403
    assert outsider_client.post("/api/v1/debts/assign/", body, format="json").status_code == 403
    answer = lead_client.post("/api/v1/debts/assign/", body, format="json")
    assert answer.status_code == 200 and answer.json() == {"assigned": 3}
    assert Debt.objects.filter(assigned_to=agent).count() == 3
    answer = ops_client.post("/api/v1/debts/assign/", {"assigned_to": None, "debt_ids": [debts[0].pk]}, format="json")
    assert answer.status_code == 200 and answer.json() == {"assigned": 1}
    refused = lead_client.post("/api/v1/debts/assign/", {"assigned_to": agent.pk}, format="json")
    assert refused.status_code == 400 and "debt_ids" in refused.json()


# --------------------------------------------------------------------------
# GET /api/v1/dispositions/


def test_dispositions_are_listed_to_every_role_that_reads(agent_client, reader_client, outsider_client):
    answer = agent_client.get("/api/v1/dispositions/", {"active": "true"})
    assert answer.status_code == 200
    codes = [d["code"] for d in answer.json()["results"]]
    assert "payment_promised" in codes and "no_answer" in codes
    assert reader_client.get("/api/v1/dispositions/").status_code == 200
    assert outsider_client.get("/api/v1/dispositions/").status_code == 403
    # Read-only here (the list is managed in the admin).
    assert agent_client.post("/api/v1/dispositions/", {"code": "x", "label": "X"}).status_code in (403, 405)
    assert not Disposition.objects.filter(code="x").exists()


def test_a_contact_is_logged_with_a_disposition_code_and_next_action(agent_client, agent):
    debt = _assigned(agent)
    answer = agent_client.post("/api/v1/communication-logs/", {
        "customer": debt.customer_id, "debt": debt.pk, "communication_type": "CALL", "direction": "outbound",
        "disposition": "callback_requested", "next_action_date": str(timezone.localdate() + timedelta(days=1)),
        "notes": "Asked to call back tomorrow",
    }, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["disposition"] == "callback_requested" and answer.json()["outcome"] == "callback_requested"
    assert Debt.objects.get(pk=debt.pk).next_action_date is not None
    refused = agent_client.post("/api/v1/communication-logs/", {
        "customer": debt.customer_id, "communication_type": "CALL", "direction": "outbound", "outcome": "he said maybe",
    }, format="json")
    assert refused.status_code == 400 and "outcome" in refused.json()


# --------------------------------------------------------------------------
# approvals and the doors that route to them


def test_write_off_above_the_threshold_answers_202_and_waits(threshold, ops_client, second_ops_client, agent_client, reader_client):
    debt = DebtFactory(current_balance=Decimal("5000.00"), original_amount=Decimal("5000.00"))
    answer = ops_client.post(f"/api/v1/debts/{debt.pk}/write-off/", {"reason": "gone"}, format="json")
    assert answer.status_code == 202, answer.content
    request = answer.json()
    assert request["status"] == "PENDING" and request["kind"] == "write_off" and request["amount_display"] == "UGX 5,000"
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.ACTIVE
    # Listed for every reader; decided by another ops admin, not the requester, not an agent.
    assert [r["id"] for r in reader_client.get("/api/v1/approvals/", {"status": "PENDING"}).json()["results"]] == [request["id"]]
    assert ops_client.post(f"/api/v1/approvals/{request['id']}/approve/", {}, format="json").status_code == 403
    assert agent_client.post(f"/api/v1/approvals/{request['id']}/approve/", {}, format="json").status_code == 403
    assert reader_client.post(f"/api/v1/approvals/{request['id']}/reject/", {"note": "no"}, format="json").status_code == 403
    approved = second_ops_client.post(f"/api/v1/approvals/{request['id']}/approve/", {"note": "checked"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "APPROVED" and approved.json()["decided_by_username"] == "ops2"
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.WRITTEN_OFF
    again = second_ops_client.post(f"/api/v1/approvals/{request['id']}/reject/", {"note": "late"}, format="json")
    assert again.status_code == 400


def test_settle_and_refund_doors_route_too_and_reject_moves_nothing(threshold, ops_client, second_ops_client, ops_admin):
    debt = DebtFactory(current_balance=Decimal("5000.00"), original_amount=Decimal("5000.00"))
    settle = ops_client.post(f"/api/v1/debts/{debt.pk}/settle/", {"settled_amount": "1000.00", "reason": "deal"}, format="json")
    assert settle.status_code == 202 and settle.json()["amount"] == "4000.00"
    rejected = second_ops_client.post(f"/api/v1/approvals/{settle.json()['id']}/reject/", {"note": "too generous"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "REJECTED"
    no_note = ops_client.post(f"/api/v1/debts/{debt.pk}/settle/", {"settled_amount": "1000.00", "reason": "deal"}, format="json")
    assert second_ops_client.post(f"/api/v1/approvals/{no_note.json()['id']}/reject/", {}, format="json").status_code == 400
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.ACTIVE
    payment = services.payment_create(debt_id=debt.pk, amount="2000.00", status=PaymentStatus.COMPLETED, recorded_by=ops_admin)
    refund = ops_client.post(f"/api/v1/payments/{payment.pk}/refund/", {"reason": "duplicate"}, format="json")
    assert refund.status_code == 202 and refund.json()["payment"] == payment.pk
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    small = services.payment_create(debt_id=debt.pk, amount="500.00", status=PaymentStatus.COMPLETED, recorded_by=ops_admin)
    done = ops_client.post(f"/api/v1/payments/{small.pk}/refund/", {"reason": "duplicate"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "REFUNDED" and done.json()["amount_display"] == "UGX 500"


def test_approvals_create_per_role(threshold, ops_client, agent_client, outsider_client):
    debt = DebtFactory(current_balance=Decimal("5000.00"), original_amount=Decimal("5000.00"))
    body = {"kind": "write_off", "debt": debt.pk, "reason": "gone"}
    assert agent_client.post("/api/v1/approvals/", body, format="json").status_code == 403
    assert outsider_client.post("/api/v1/approvals/", body, format="json").status_code == 403
    made = ops_client.post("/api/v1/approvals/", body, format="json")
    assert made.status_code == 201 and ApprovalRequest.objects.get(pk=made.json()["id"]).status == ApprovalStatus.PENDING
    assert outsider_client.get("/api/v1/approvals/").status_code == 403
    assert ops_client.get(f"/api/v1/approvals/{made.json()['id']}/").status_code == 200


def test_admin_write_off_action_above_the_threshold_files_a_request(threshold, client, ops_admin):
    debt = DebtFactory(current_balance=Decimal("5000.00"), original_amount=Decimal("5000.00"))
    client.force_login(ops_admin)
    page = client.post("/admin/debts/debt/", {"action": "write_off_debts", "_selected_action": [debt.pk], "apply": "1", "reason": "gone"},
                       follow=True)
    assert page.status_code == 200 and "sent for approval" in page.content.decode()
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.ACTIVE
    assert ApprovalRequest.objects.filter(debt=debt, status=ApprovalStatus.PENDING).count() == 1


def test_admin_approve_action_needs_another_person(threshold, client, ops_admin, django_user_model):
    debt = DebtFactory(current_balance=Decimal("5000.00"), original_amount=Decimal("5000.00"))
    _done, request = services.write_off_or_request(debt_id=debt.pk, user=ops_admin, reason="gone")
    client.force_login(ops_admin)
    client.post("/admin/debts/approvalrequest/", {"action": "approve_requests", "_selected_action": [request.pk], "apply": "1"})
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING
    other = django_user_model.objects.create_user(username="ops2", password="pw", is_staff=True)
    other.groups.add(Group.objects.get(name=roles.OPS_ADMIN))
    client.force_login(other)
    client.post("/admin/debts/approvalrequest/", {"action": "approve_requests", "_selected_action": [request.pk], "apply": "1"})
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.APPROVED
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.WRITTEN_OFF


def test_admin_assign_action_for_team_leads_only(client, agent, lead):
    debt = DebtFactory()
    lead.is_staff = True
    lead.save()
    client.force_login(agent)
    client.post("/admin/debts/debt/", {"action": "assign_debts", "_selected_action": [debt.pk], "apply": "1", "agent": agent.pk})
    assert Debt.objects.get(pk=debt.pk).assigned_to is None
    client.force_login(lead)
    client.post("/admin/debts/debt/", {"action": "assign_debts", "_selected_action": [debt.pk], "apply": "1", "agent": agent.pk})
    assert Debt.objects.get(pk=debt.pk).assigned_to == agent


def test_debt_api_has_display_fields_beside_the_decimal_strings(agent_client):
    debt = DebtFactory(original_amount=Decimal("1250000.00"), current_balance=Decimal("1100000.50"))
    row = agent_client.get(f"/api/v1/debts/{debt.pk}/").json()
    assert row["current_balance"] == "1100000.50" and row["current_balance_display"] == "UGX 1,100,000.50"
    assert row["original_amount_display"] == "UGX 1,250,000" and row["settled_amount_display"] is None


def test_logs_filter_by_disposition_and_debts_by_assignee(agent_client, agent):
    mine = _assigned(agent)
    DebtFactory()
    services.communication_log_create(customer_id=mine.customer_id, communication_type="CALL", disposition="no_answer", agent_user=agent)
    services.communication_log_create(customer_id=mine.customer_id, communication_type="CALL", disposition="busy", agent_user=agent)
    logs = agent_client.get("/api/v1/communication-logs/", {"disposition": "busy"}).json()["results"]
    assert [log["disposition"] for log in logs] == ["busy"]
    assert [d["id"] for d in agent_client.get("/api/v1/debts/", {"assigned_to": agent.pk}).json()["results"]] == [mine.pk]
