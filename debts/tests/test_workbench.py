"""The collector's workbench in debts: the work queue selector, assignment,
dispositions (and the outcome migration), four-eyes approvals at every door,
and a promise paid on its day being KEPT on every database."""
from __future__ import annotations

import importlib
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import roles
from debts import selectors, services
from debts.choices import ApprovalStatus, DebtStatus, PaymentStatus, PromiseStatus
from debts.models import ApprovalRequest, CommunicationLog, Debt, Disposition, PromiseToPay
from debts.tests.factories import CustomerFactory, DebtFactory
from uploads.tests.factories import FileUploadFactory

KAMPALA = ZoneInfo("Africa/Kampala")
# 10:00 in Kampala: inside the default calling hours (09:00-19:00) there,
# 02:00 in Los Angeles (outside).
MORNING = datetime(2026, 12, 4, 10, 0, tzinfo=KAMPALA)


@pytest.fixture
def lead(db, django_user_model):
    user = django_user_model.objects.create_user(username="lead", password="pw-lead")
    roles.sync_roles()
    user.groups.add(Group.objects.get(name=roles.TEAM_LEAD))
    return user


@pytest.fixture
def second_ops(db, django_user_model, ops_admin):
    user = django_user_model.objects.create_user(username="ops2", password="pw-ops2", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.OPS_ADMIN))
    return user


def _debt(agent, *, dpd=0, balance="1000.00", due=None, tz="Africa/Kampala", last_contact=None, **extra):
    customer = CustomerFactory(timezone=tz, last_contact_date=last_contact)
    return DebtFactory(customer=customer, assigned_to=agent, days_past_due=dpd, current_balance=Decimal(balance),
                       original_amount=Decimal(balance), due_amount=Decimal(due) if due else None, **extra)


# --------------------------------------------------------------------------
# the work queue


def test_queue_priority_bucket_then_promise_then_callable_then_amount_then_oldest_contact(agent):
    today = timezone.localdate(MORNING)
    old = MORNING - timedelta(days=30)
    recent = MORNING - timedelta(days=1)
    d90 = _debt(agent, dpd=100, due="10.00")
    small_promise = _debt(agent, dpd=10, due="5.00")
    PromiseToPay.objects.create(customer=small_promise.customer, debt=small_promise, amount=Decimal("5.00"), promised_date=today)
    abroad = _debt(agent, dpd=10, due="900.00", tz="America/Los_Angeles")
    big = _debt(agent, dpd=10, due="800.00", last_contact=recent)
    same_amount_old_contact = _debt(agent, dpd=10, due="800.00", last_contact=old)
    never = _debt(agent, dpd=10, due="800.00")
    current = _debt(agent, dpd=0)
    _debt(None, dpd=200)  # not assigned to the agent
    _debt(agent, dpd=50, status=DebtStatus.PAID_OFF)  # closed

    rows = list(selectors.work_queue(user=agent, now=MORNING))

    assert [d.pk for d in rows] == [d90.pk, small_promise.pk, never.pk, same_amount_old_contact.pk, big.pk, abroad.pk, current.pk]
    first = rows[0]
    assert first.dpd_rank == 4 and first.amount_overdue == Decimal("10.00") and first.callable_now
    assert rows[1].promise_today and not rows[5].callable_now
    assert rows[-1].amount_overdue == Decimal("0.00")


def test_queue_filters_and_every_column_sorts(agent):
    a = _debt(agent, dpd=40, branch="Gulu", employee_id="E1", employee_name="Okello")
    b = _debt(agent, dpd=5, branch="Mbale", status=DebtStatus.IN_COLLECTION)
    assert [d.pk for d in selectors.work_queue(user=agent, branch="Gulu", now=MORNING)] == [a.pk]
    assert [d.pk for d in selectors.work_queue(user=agent, employee="Okello", now=MORNING)] == [a.pk]
    assert [d.pk for d in selectors.work_queue(user=agent, employee="E1", now=MORNING)] == [a.pk]
    assert [d.pk for d in selectors.work_queue(user=agent, status=DebtStatus.IN_COLLECTION, now=MORNING)] == [b.pk]
    assert [d.pk for d in selectors.work_queue(user=agent, dpd_bucket="d31_60", now=MORNING)] == [a.pk]
    assert [d.pk for d in selectors.work_queue(user=agent, ordering="days_past_due", now=MORNING)] == [b.pk, a.pk]
    assert [d.pk for d in selectors.work_queue(user=agent, ordering="-days_past_due", now=MORNING)] == [a.pk, b.pk]
    for column in selectors.WORK_QUEUE_ORDERINGS:
        for sign in ("", "-"):
            assert len(list(selectors.work_queue(user=agent, ordering=sign + column, now=MORNING))) == 2
    for bad in ({"ordering": "password"}, {"status": "PAID_OFF"}, {"dpd_bucket": "d1_29"}, {"scope": "everyone"}):
        with pytest.raises(ValidationError):
            selectors.work_queue(user=agent, now=MORNING, **bad)


def test_queue_scopes_by_role(agent, lead, ops_admin):
    mine = _debt(agent, dpd=3)
    leads = _debt(lead, dpd=2)
    unassigned = _debt(None, dpd=1)
    assert {d.pk for d in selectors.work_queue(user=agent, now=MORNING)} == {mine.pk}
    with pytest.raises(PermissionDenied):
        selectors.work_queue(user=agent, scope="team", now=MORNING)
    assert {d.pk for d in selectors.work_queue(user=lead, scope="team", now=MORNING)} == {mine.pk, leads.pk}
    assert {d.pk for d in selectors.work_queue(user=ops_admin, scope="all", now=MORNING)} == {mine.pk, leads.pk, unassigned.pk}
    assert [d.pk for d in selectors.work_queue(user=lead, scope="team", assigned_to_id=agent.pk, now=MORNING)] == [mine.pk]


def test_a_next_action_date_takes_the_debt_out_until_that_day(agent):
    debt = _debt(agent, dpd=10)
    services.communication_log_create(
        customer_id=debt.customer_id, debt_id=debt.pk, communication_type="CALL", disposition="callback_requested",
        next_action_date=timezone.localdate() + timedelta(days=2), agent_user=agent,
    )
    assert not selectors.work_queue(user=agent).exists()
    assert selectors.work_queue(user=agent, include_snoozed=True).exists()
    two_days_on = timezone.now() + timedelta(days=2)
    assert [d.pk for d in selectors.work_queue(user=agent, now=two_days_on)] == [debt.pk]
    # A later contact without a date puts it straight back.
    services.communication_log_create(customer_id=debt.customer_id, debt_id=debt.pk, communication_type="CALL",
                                      disposition="connected", agent_user=agent)
    assert selectors.work_queue(user=agent).exists()


def test_queue_query_count_does_not_grow_with_rows(agent):
    for i in range(3):
        _debt(agent, dpd=i)
    with CaptureQueriesContext(connection) as few:
        list(selectors.work_queue(user=agent, now=MORNING))
    for i in range(20):
        debt = _debt(agent, dpd=i + 5)
        PromiseToPay.objects.create(customer=debt.customer, debt=debt, amount=Decimal("1.00"), promised_date=timezone.localdate(MORNING))
    with CaptureQueriesContext(connection) as many:
        rows = list(selectors.work_queue(user=agent, now=MORNING))
        [(r.customer.full_name, r.assigned_to.username) for r in rows]
    assert len(few.captured_queries) == len(many.captured_queries) == 1


# --------------------------------------------------------------------------
# assignment


def test_assign_by_list_branch_employee_and_upload_with_history(agent, lead):
    a = _debt(None, branch="Gulu")
    b = _debt(None, branch="Gulu", employee_id="E7")
    c = _debt(None, branch="Mbale", employee_id="E7")
    closed = _debt(None, branch="Gulu", status=DebtStatus.WRITTEN_OFF)
    assert services.debts_assign(branch="Gulu", to_user=agent, assigned_by=lead) == 2
    assert set(Debt.objects.filter(assigned_to=agent).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert Debt.objects.get(pk=closed.pk).assigned_to is None
    last = a.history.first()
    assert last.assigned_to_id == agent.pk and last.history_user_id == lead.pk and last.history_change_reason == "assigned to agent"
    # Again: nothing moves (already theirs).
    assert services.debts_assign(branch="Gulu", to_user=agent, assigned_by=lead) == 0
    assert services.debts_assign(employee="E7", to_user=lead, assigned_by=lead, reason="cover") == 2
    assert Debt.objects.get(pk=c.pk).history.first().history_change_reason == "assigned to lead: cover"
    assert services.debts_assign(debt_ids=[a.pk], to_user=None, assigned_by=lead) == 1
    assert Debt.objects.get(pk=a.pk).assigned_to is None
    with pytest.raises(ValidationError, match="not assignable"):
        services.debts_assign(debt_ids=[closed.pk], to_user=agent, assigned_by=lead)
    with pytest.raises(ValidationError, match="Say which debts"):
        services.debts_assign(to_user=agent, assigned_by=lead)


def test_assign_by_upload(agent, lead):
    upload = FileUploadFactory()
    made = _debt(None, source_upload=upload)
    _debt(None)
    assert services.debts_assign(upload_id=upload.pk, to_user=agent, assigned_by=lead) == 1
    assert Debt.objects.get(pk=made.pk).assigned_to_id == agent.pk


def test_only_assigners_assign_and_only_to_people_who_see_debts(agent, lead, outsider):
    debt = _debt(None)
    with pytest.raises(PermissionDenied):
        services.debts_assign(debt_ids=[debt.pk], to_user=agent, assigned_by=agent)
    with pytest.raises(ValidationError, match="cannot see debts"):
        services.debts_assign(debt_ids=[debt.pk], to_user=outsider, assigned_by=lead)


# --------------------------------------------------------------------------
# dispositions


def test_the_list_is_seeded_and_a_contact_takes_a_code_or_label(agent):
    assert Disposition.objects.filter(code="payment_promised", label="Promise to pay").exists()
    debt = _debt(agent)
    for given in ("payment_promised", "Promise to pay", "promise to pay", "PAYMENT PROMISED"):
        log = services.communication_log_create(customer_id=debt.customer_id, communication_type="CALL", outcome=given, agent_user=agent)
        assert (log.outcome, log.disposition.code) == ("payment_promised", "payment_promised")
    with pytest.raises(ValidationError) as refused:
        services.communication_log_create(customer_id=debt.customer_id, communication_type="CALL", outcome="he said maybe", agent_user=agent)
    assert "outcome" in refused.value.message_dict
    Disposition.objects.filter(code="busy").update(active=False)
    with pytest.raises(ValidationError):
        services.communication_log_create(customer_id=debt.customer_id, communication_type="CALL", disposition="busy", agent_user=agent)


def test_a_disposition_that_needs_a_next_action_refuses_without_one(agent):
    debt = _debt(agent)
    with pytest.raises(ValidationError) as refused:
        services.communication_log_create(customer_id=debt.customer_id, communication_type="CALL", disposition="callback_requested",
                                          agent_user=agent)
    assert "next_action_date" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.communication_log_create(customer_id=debt.customer_id, communication_type="CALL", disposition="connected",
                                          next_action_date=timezone.localdate() - timedelta(days=1), agent_user=agent)


def test_the_migration_maps_free_text_outcomes_to_codes_and_keeps_unknown_text_in_the_note(db):
    migration = importlib.import_module("debts.migrations.0008_dispositions_from_outcomes")
    codes = {code for code, *_ in migration.DISPOSITIONS}
    assert migration.code_for("Promise to pay", codes) == "payment_promised"
    assert migration.code_for("payment_promised", codes) == "payment_promised"
    assert migration.code_for(" PTP ", codes) == "payment_promised"
    assert migration.code_for("No answer", codes) == migration.code_for("no_answer", codes) == "no_answer"
    assert migration.code_for("he will think", codes) is None
    customer = CustomerFactory()
    kept = CommunicationLog.objects.create(customer=customer, communication_type="CALL", direction="outbound",
                                           timestamp=timezone.now(), outcome="Promise to pay")
    odd = CommunicationLog.objects.create(customer=customer, communication_type="CALL", direction="outbound",
                                          timestamp=timezone.now(), outcome="he will think", notes="Called twice.")
    # The live registry stands in for the migration's historical one.
    migration.forwards(apps, None)
    kept.refresh_from_db()
    odd.refresh_from_db()
    assert (kept.outcome, kept.disposition.code) == ("payment_promised", "payment_promised")
    assert (odd.outcome, odd.disposition.code) == ("other", "other")
    assert odd.notes == "Called twice.\nOutcome (free text before dispositions): he will think"


# --------------------------------------------------------------------------
# four-eyes approvals


@pytest.fixture
def threshold(settings):
    settings.APPROVAL_THRESHOLD_UGX = 1000
    return settings


def _completed_payment(debt, amount, user):
    return services.payment_create(debt_id=debt.pk, amount=amount, status=PaymentStatus.COMPLETED, recorded_by=user)


def test_at_or_below_the_threshold_acts_at_once(threshold, ops_admin):
    debt = _debt(None, balance="1000.00")
    done, request = services.write_off_or_request(debt_id=debt.pk, user=ops_admin, reason="gone")
    assert request is None and done.status == DebtStatus.WRITTEN_OFF


def test_above_it_nothing_moves_until_another_person_approves(threshold, ops_admin, second_ops):
    debt = _debt(None, balance="5000.00")
    with pytest.raises(services.ApprovalRequired):
        services.debt_write_off(debt_id=debt.pk, written_off_by=ops_admin, reason="gone")
    done, request = services.write_off_or_request(debt_id=debt.pk, user=ops_admin, reason="gone")
    assert done is None and request.status == ApprovalStatus.PENDING and request.amount == Decimal("5000.00")
    assert Debt.objects.get(pk=debt.pk).status == DebtStatus.ACTIVE
    with pytest.raises(ValidationError, match="already waiting"):
        services.write_off_or_request(debt_id=debt.pk, user=ops_admin, reason="again")
    with pytest.raises(PermissionDenied, match="four eyes"):
        services.approval_approve(request_id=request.pk, decided_by=ops_admin)
    approved = services.approval_approve(request_id=request.pk, decided_by=second_ops, note="ok")
    assert approved.status == ApprovalStatus.APPROVED and approved.decided_by == second_ops
    debt.refresh_from_db()
    assert debt.status == DebtStatus.WRITTEN_OFF and debt.closed_by == second_ops
    assert f"approval #{request.pk}" in debt.closed_reason
    steps = [h.history_change_reason for h in ApprovalRequest.history.filter(id=request.pk).order_by("history_id")]
    assert steps == ["requested", "approved"]
    with pytest.raises(ValidationError, match="already approved"):
        services.approval_reject(request_id=request.pk, decided_by=second_ops, note="late")


def test_settle_amount_at_stake_is_the_forgiven_part_and_reject_moves_nothing(threshold, ops_admin, second_ops):
    debt = _debt(None, balance="5000.00")
    done, request = services.settle_or_request(debt_id=debt.pk, settled_amount="4500.00", user=ops_admin, reason="deal")
    assert request is None and done.status == DebtStatus.SETTLED  # 500 forgiven
    other = _debt(None, balance="5000.00")
    _, request = services.settle_or_request(debt_id=other.pk, settled_amount="1000.00", user=ops_admin, reason="deal")
    assert request.amount == Decimal("4000.00") and request.settled_amount == Decimal("1000.00")
    with pytest.raises(ValidationError, match="why"):
        services.approval_reject(request_id=request.pk, decided_by=second_ops, note="")
    rejected = services.approval_reject(request_id=request.pk, decided_by=second_ops, note="too generous")
    assert rejected.status == ApprovalStatus.REJECTED
    assert Debt.objects.get(pk=other.pk).status == DebtStatus.ACTIVE


def test_refund_above_the_threshold_waits_and_a_stale_request_fails_without_moving(threshold, ops_admin, second_ops):
    debt = _debt(None, balance="9000.00")
    payment = _completed_payment(debt, "3000.00", ops_admin)
    _, request = services.refund_or_request(payment_id=payment.pk, user=ops_admin, reason="duplicate")
    assert request.payment_id == payment.pk and request.amount == Decimal("3000.00")
    # Meanwhile the debt is written off (through its own approval).
    _, close = services.write_off_or_request(debt_id=debt.pk, user=second_ops, reason="gone")
    services.approval_approve(request_id=close.pk, decided_by=ops_admin)
    failed = services.approval_approve(request_id=request.pk, decided_by=second_ops)
    assert failed.status == ApprovalStatus.FAILED and "can no longer be refunded" in failed.note
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED


def test_an_approval_cannot_be_reused_or_forged(threshold, ops_admin, second_ops):
    debt = _debt(None, balance="5000.00")
    _, request = services.write_off_or_request(debt_id=debt.pk, user=ops_admin, reason="gone")
    with pytest.raises(ValidationError, match="does not approve"):
        services.debt_write_off(debt_id=debt.pk, written_off_by=second_ops, reason="gone", approval_request_id=request.pk)


def test_an_agent_cannot_ask_and_an_agent_cannot_decide(threshold, agent, ops_admin):
    debt = _debt(None, balance="5000.00")
    with pytest.raises(PermissionDenied):
        services.approval_request_create(kind="write_off", debt_id=debt.pk, reason="x", requested_by=agent)
    _, request = services.write_off_or_request(debt_id=debt.pk, user=ops_admin, reason="gone")
    with pytest.raises(PermissionDenied):
        services.approval_approve(request_id=request.pk, decided_by=agent)


# --------------------------------------------------------------------------
# promise outcomes (this test also runs with DATABASE_URL=sqlite:///…)


def test_a_promise_paid_on_the_promised_day_is_kept_on_every_database(ops_admin):
    today = timezone.localdate()
    promised = today - timedelta(days=2)
    debt = _debt(None, balance="1000.00")
    debt.issue_date = today - timedelta(days=60)
    debt.save()
    promise = PromiseToPay.objects.create(customer=debt.customer, debt=debt, amount=Decimal("100.00"), promised_date=promised)
    PromiseToPay.objects.filter(pk=promise.pk).update(created_at=timezone.make_aware(datetime.combine(promised - timedelta(days=5), time(9))))
    for moment in (time(0, 5), time(12), time(23, 59)):
        paid_at = timezone.make_aware(datetime.combine(promised, moment))
        services.payment_create(debt_id=debt.pk, amount="40.00", status=PaymentStatus.COMPLETED, payment_date=paid_at, recorded_by=ops_admin)
    kept, broken = services.promises_evaluate(today=today)
    promise.refresh_from_db()
    assert (kept, broken) == (1, 0)
    assert promise.status == PromiseStatus.KEPT and promise.amount_paid == Decimal("120.00")
