"""The customer timeline: every kind of event, newest first, in local time,
a constant number of queries, and the API per role."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import CallStatusUpdate
from calls.tests.factories import CallSessionFactory
from debts import services
from debts.choices import PaymentStatus
from debts.models import PromiseToPay
from debts.tests.factories import CustomerFactory, DebtFactory
from statements.tests.factories import StatementFactory
from uploads.tests.factories import FileUploadFactory, UploadRowFactory
from workbench.selectors import TIMELINE_KINDS, customer_timeline


@pytest.fixture
def story(db, ops_admin, settings):
    settings.APPROVAL_THRESHOLD_UGX = 100
    customer = CustomerFactory(full_name="Sarah Nakato")
    debt = DebtFactory(customer=customer, original_amount=Decimal("1000.00"), current_balance=Decimal("1000.00"),
                       issue_date=timezone.localdate() - timedelta(days=90))
    now = timezone.now()
    paid = services.payment_create(debt_id=debt.pk, amount="50.00", status=PaymentStatus.COMPLETED, recorded_by=ops_admin,
                                   payment_date=now - timedelta(days=5))
    services.payment_create(debt_id=debt.pk, amount="20.00", status=PaymentStatus.COMPLETED, recorded_by=ops_admin,
                            payment_date=now - timedelta(days=4))
    services.payment_refund(payment_id=paid.pk, refunded_by=ops_admin, reason="duplicate")
    services.communication_log_create(customer_id=customer.pk, debt_id=debt.pk, communication_type="CALL", disposition="no_answer",
                                      timestamp=now - timedelta(days=3), agent_user=ops_admin)
    call = CallSessionFactory(customer=customer, debt=debt, status="completed")
    CallStatusUpdate.objects.create(call_session=call, status="initiated", timestamp=now - timedelta(minutes=3))
    CallStatusUpdate.objects.create(call_session=call, status="completed", timestamp=now - timedelta(minutes=1))
    promise = services.promise_create(debt_id=debt.pk, amount="100.00", promised_date=timezone.localdate(), created_by=ops_admin)
    PromiseToPay.objects.filter(pk=promise.pk).update(status="BROKEN", evaluated_at=now)
    StatementFactory(customer=customer)
    upload = FileUploadFactory()
    UploadRowFactory(file_upload=upload, line_number=1, matched_customer=customer, matched_debt=debt)
    services.write_off_or_request(debt_id=debt.pk, user=ops_admin, reason="gone")
    return customer


def test_every_kind_is_there_newest_first_in_local_time(story):
    events = customer_timeline(customer_id=story.pk)
    kinds = {e["kind"] for e in events}
    assert kinds == set(TIMELINE_KINDS) - {"debt_closed"}
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)
    assert all(str(e["at"].tzinfo) == "Africa/Kampala" for e in events)
    call = next(e for e in events if e["kind"] == "call")
    assert [s["status"] for s in call["history"]] == ["initiated", "completed"]
    refund = next(e for e in events if e["kind"] == "refund")
    assert refund["amount_display"] == "UGX 50" and refund["detail"] == "duplicate"
    contact = next(e for e in events if e["kind"] == "contact")
    assert "No answer" in contact["title"]
    assert next(e for e in events if e["kind"] == "promise_outcome")["status"] == "BROKEN"
    assert customer_timeline(customer_id=story.pk, kinds={"payment"}, limit=1)[0]["kind"] == "payment"


def test_the_query_count_does_not_grow_with_events(story, ops_admin):
    with CaptureQueriesContext(connection) as before:
        customer_timeline(customer_id=story.pk)
    debt = story.debts.first()
    for _ in range(10):
        services.communication_log_create(customer_id=story.pk, debt_id=debt.pk, communication_type="SMS", disposition="delivered",
                                          agent_user=ops_admin)
        CallSessionFactory(customer=story, debt=debt)
    with CaptureQueriesContext(connection) as after:
        customer_timeline(customer_id=story.pk)
    assert len(before.captured_queries) == len(after.captured_queries) <= 11


def test_the_api_per_role(story, agent_client, reader_client, analyst_client, outsider_client, api_client):
    answer = agent_client.get(f"/api/v1/customers/{story.pk}/timeline/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["customer"] == story.pk and body["count"] == len(body["events"]) > 5
    assert body["events"][0]["at"].endswith("+03:00")
    assert reader_client.get(f"/api/v1/customers/{story.pk}/timeline/", {"kind": "payment,refund"}).json()["count"] == 3
    assert analyst_client.get(f"/api/v1/customers/{story.pk}/timeline/").status_code == 200
    assert outsider_client.get(f"/api/v1/customers/{story.pk}/timeline/").status_code == 403
    assert api_client.get(f"/api/v1/customers/{story.pk}/timeline/").status_code in (401, 403)
    assert agent_client.get("/api/v1/customers/999999/timeline/").status_code == 404
    assert agent_client.get(f"/api/v1/customers/{story.pk}/timeline/", {"kind": "gossip"}).status_code == 400
    assert agent_client.get(f"/api/v1/customers/{story.pk}/timeline/", {"limit": "0"}).status_code == 400
