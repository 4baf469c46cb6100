"""The beat tasks and the management commands that mirror them."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from calls.tasks import dispatch_scheduled_calls
from calls.tests.factories import CallSessionFactory

pytestmark = pytest.mark.django_db


def test_dispatcher_places_due_calls_only(fake_exotel):
    due = CallSessionFactory(status="scheduled", scheduled_for=timezone.now() - timedelta(minutes=1))
    unscheduled = CallSessionFactory(status="scheduled")
    later = CallSessionFactory(status="scheduled", scheduled_for=timezone.now() + timedelta(hours=2))
    placing = CallSessionFactory(status="scheduled", dispatch_claimed_until=timezone.now() + timedelta(minutes=1))
    finished = CallSessionFactory(status="completed", call_sid="done1")
    assert dispatch_scheduled_calls() == 2
    for s in (due, unscheduled, later, placing, finished):
        s.refresh_from_db()
    assert due.status == unscheduled.status == "initiated"
    assert later.status == placing.status == "scheduled"
    assert sorted(r.form["CustomField"] for r in fake_exotel.connect_requests()) == sorted([str(due.pk), str(unscheduled.pk)])


def test_dispatch_calls_command(fake_exotel):
    CallSessionFactory(status="scheduled")
    out = StringIO()
    call_command("dispatch_calls", stdout=out)
    assert out.getvalue().strip() == "1 initiated"


def test_reconcile_calls_command(fake_exotel):
    out = StringIO()
    call_command("reconcile_calls", stdout=out)
    assert "unmatched callbacks applied: 0" in out.getvalue()
