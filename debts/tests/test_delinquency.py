"""update_delinquency: days past due, defaults, promises kept or broken."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from debts import services, tasks
from debts.choices import DebtStatus, PaymentStatus, PromiseStatus
from debts.models import Debt, PromiseToPay
from debts.tests.factories import DebtFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)
# A payment is never dated before its debt's issue (debts.services.payments).
ISSUED = TODAY - timedelta(days=60)


def _dpd(debt):
    return Debt.objects.get(pk=debt.pk).days_past_due


def test_days_past_due_counts_from_the_due_date_for_open_debts_only():
    late = DebtFactory(due_date=TODAY - timedelta(days=17))
    current = DebtFactory(due_date=TODAY + timedelta(days=3))
    due_today = DebtFactory(due_date=TODAY)
    no_due_date = DebtFactory(due_date=None, days_past_due=5)
    paid_off = DebtFactory(due_date=TODAY - timedelta(days=40), current_balance=Decimal("0"), status=DebtStatus.PAID_OFF, days_past_due=3)

    result = services.debts_update_delinquency(today=TODAY)

    assert (_dpd(late), _dpd(current), _dpd(due_today), _dpd(no_due_date), _dpd(paid_off)) == (17, 0, 0, 0, 0)
    assert result.days_past_due_changed == 3


def test_a_payment_of_the_amount_due_after_the_due_date_makes_the_debt_current():
    debt = DebtFactory(
        original_amount=Decimal("1000.00"), due_date=TODAY - timedelta(days=10), due_amount=Decimal("100.00"), issue_date=ISSUED
    )
    services.payment_create(
        debt_id=debt.pk, amount="60.00", status=PaymentStatus.COMPLETED,
        payment_date=timezone.make_aware(datetime.combine(TODAY - timedelta(days=2), time(12))),
    )
    services.debts_update_delinquency(today=TODAY)
    assert _dpd(debt) == 10  # 60 does not cover the 100 due

    services.payment_create(
        debt_id=debt.pk, amount="100.00", status=PaymentStatus.COMPLETED,
        payment_date=timezone.make_aware(datetime.combine(TODAY - timedelta(days=1), time(12))),
    )
    services.debts_update_delinquency(today=TODAY)
    assert _dpd(debt) == 0


def test_debts_past_the_threshold_default_and_the_change_is_audited(settings):
    settings.DELINQUENCY_DEFAULT_AFTER_DAYS = 30
    over = DebtFactory(due_date=TODAY - timedelta(days=31), status=DebtStatus.IN_COLLECTION)
    at = DebtFactory(due_date=TODAY - timedelta(days=30))
    settled = DebtFactory(due_date=TODAY - timedelta(days=200), status=DebtStatus.SETTLED)

    result = services.debts_update_delinquency(today=TODAY)

    assert Debt.objects.get(pk=over.pk).status == DebtStatus.DEFAULTED
    assert Debt.objects.get(pk=at.pk).status == DebtStatus.ACTIVE
    assert Debt.objects.get(pk=settled.pk).status == DebtStatus.SETTLED
    assert result.moved_to_defaulted == 1
    latest = Debt.history.filter(id=over.pk).order_by("-history_id").first()
    assert latest.status == DebtStatus.DEFAULTED
    assert latest.days_past_due == 31
    assert "update_delinquency" in latest.history_change_reason


def test_running_twice_changes_nothing_the_second_time():
    DebtFactory(due_date=TODAY - timedelta(days=120))
    services.debts_update_delinquency(today=TODAY)
    again = services.debts_update_delinquency(today=TODAY)
    assert (again.days_past_due_changed, again.moved_to_defaulted) == (0, 0)


def test_small_batches_cover_every_debt():
    debts = [DebtFactory(due_date=TODAY - timedelta(days=i + 1)) for i in range(7)]
    services.debts_update_delinquency(today=TODAY, batch_size=2)
    assert [_dpd(d) for d in debts] == [1, 2, 3, 4, 5, 6, 7]


def _promise(debt, amount, promised_date, made):
    promise = PromiseToPay.objects.create(customer=debt.customer, debt=debt, amount=Decimal(amount), promised_date=promised_date)
    PromiseToPay.objects.filter(pk=promise.pk).update(created_at=made)
    return promise


def test_promises_are_kept_when_paid_by_the_promised_day_and_broken_otherwise():
    made = timezone.make_aware(datetime.combine(TODAY - timedelta(days=10), time(9)))
    kept_debt, broken_debt, future_debt = (DebtFactory(issue_date=ISSUED) for _ in range(3))
    kept = _promise(kept_debt, "100.00", TODAY - timedelta(days=3), made)
    broken = _promise(broken_debt, "100.00", TODAY - timedelta(days=3), made)
    future = _promise(future_debt, "50.00", TODAY + timedelta(days=3), made)
    # Late evening of the promised day, local time: still on time.
    evening = timezone.make_aware(datetime.combine(TODAY - timedelta(days=3), time(23, 30)))
    services.payment_create(debt_id=kept_debt.pk, amount="100.00", status=PaymentStatus.COMPLETED, payment_date=evening)
    # Paid, but a day late.
    late = timezone.make_aware(datetime.combine(TODAY - timedelta(days=2), time(8)))
    services.payment_create(debt_id=broken_debt.pk, amount="100.00", status=PaymentStatus.COMPLETED, payment_date=late)
    services.payment_create(debt_id=future_debt.pk, amount="20.00", status=PaymentStatus.COMPLETED, payment_date=late)

    result = services.debts_update_delinquency(today=TODAY)

    assert PromiseToPay.objects.get(pk=kept.pk).status == PromiseStatus.KEPT
    broken.refresh_from_db()
    assert broken.status == PromiseStatus.BROKEN and broken.amount_paid == Decimal("0.00")
    future.refresh_from_db()
    assert future.status == PromiseStatus.PENDING and future.amount_paid == Decimal("20.00")
    assert (result.promises_kept, result.promises_broken) == (1, 1)


def test_the_command_prints_a_summary_and_the_task_runs_the_same_service():
    DebtFactory(due_date=timezone.localdate() - timedelta(days=5))
    out = StringIO()
    call_command("update_delinquency", "--no-progress", stdout=out)
    assert "1 days-past-due changed" in out.getvalue()
    summary = tasks.update_delinquency.delay().get()
    assert summary["days_past_due_changed"] == 0 and summary["debts_scanned"] == 1


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="--today"):
        call_command("update_delinquency", "--today", "31/03/2026")
