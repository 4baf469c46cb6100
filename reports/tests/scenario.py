"""The hand-computed scenario every report test reads: a dozen debts in two
branches, four month-end snapshots (January to April 2026), known payments,
promises, contacts, calls and statements. The expected figures are written
out in the tests, worked by hand from the tables below."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from calls.choices import CallStatus
from calls.models import CallSession
from debts.choices import CommunicationDirection, CommunicationType, DebtStatus, PaymentStatus, PromiseStatus
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay
from debts.tests.factories import CustomerFactory, DebtFactory
from reports.services import portfolio_snapshot_take
from statements.models import Statement, StatementSummary

MONTH_ENDS = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]

# name: (branch, employee id, employee name, assignee, issue date, principal)
DEBTS = {
    "D1": ("Kampala", "E1", "Esther", "alice", date(2025, 12, 15), 1000),
    "D2": ("Kampala", "E1", "Esther", "alice", date(2025, 12, 20), 2000),
    "D3": ("Kampala", "E1", "Esther", "alice", date(2025, 12, 5), 3000),
    "D4": ("Kampala", "E1", "Esther", "bob", date(2026, 1, 10), 4000),
    "D5": ("Kampala", "E1", "Esther", "bob", date(2026, 1, 20), 5000),
    "D6": ("Kampala", "E1", "Esther", None, date(2026, 1, 25), 6000),
    "D7": ("Gulu", "E2", "Emmanuel", "bob", date(2025, 12, 1), 1000),
    "D8": ("Gulu", "E2", "Emmanuel", "bob", date(2025, 12, 10), 2000),
    "D9": ("Gulu", "E2", "Emmanuel", "alice", date(2026, 1, 5), 3000),
    "D10": ("Gulu", "E2", "Emmanuel", "alice", date(2026, 1, 15), 4000),
    "D11": ("Gulu", "E2", "Emmanuel", None, date(2026, 2, 10), 5000),
    "D12": ("Gulu", "E2", "Emmanuel", "bob", date(2026, 2, 20), 6000),
}
# Days past due at each month end (Jan, Feb, Mar, Apr); a string is a
# closing status (balance 0 when paid off). None: not issued yet.
STATES = {
    "D1": [0, 15, 45, 0],
    "D2": [10, 40, 70, 100],
    "D3": [0, 0, 0, "PAID_OFF"],
    "D4": [0, 5, 0, 0],
    "D5": [35, 65, 95, "WRITTEN_OFF"],
    "D6": [0, 0, 20, 50],
    "D7": [95, 125, 155, 185],
    "D8": [20, 0, 0, 10],
    "D9": [0, 0, 0, 0],
    "D10": [5, 35, 0, 0],
    "D11": [None, 0, 10, 40],
    "D12": [None, 0, 0, 0],
}


def at(d: date, hour: int = 12) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=timezone.get_current_timezone())


def build() -> dict:
    users = {name: get_user_model().objects.create_user(username=name, password="x") for name in ("alice", "bob")}
    debts = {}
    for name, (branch, emp_id, emp_name, assignee, issued, principal) in DEBTS.items():
        debts[name] = DebtFactory(
            customer=CustomerFactory(), loan_id=name, branch=branch, employee_id=emp_id, employee_name=emp_name,
            assigned_to=users.get(assignee), issue_date=issued, original_amount=Decimal(principal),
            current_balance=Decimal(principal), due_amount=Decimal(principal) / 10,
        )
    for month, as_of in enumerate(MONTH_ENDS):
        for name, states in STATES.items():
            state = states[month]
            if state is None:
                continue
            if state == "PAID_OFF":
                Debt.objects.filter(pk=debts[name].pk).update(status=DebtStatus.PAID_OFF, current_balance=0, days_past_due=0)
            elif state == "WRITTEN_OFF":
                Debt.objects.filter(pk=debts[name].pk).update(status=DebtStatus.WRITTEN_OFF, days_past_due=0)
            else:
                status = DebtStatus.DEFAULTED if state > 90 else DebtStatus.ACTIVE
                Debt.objects.filter(pk=debts[name].pk).update(status=status, days_past_due=state)
        portfolio_snapshot_take(as_of=as_of)

    # Payments are test data written as they stand, not through the payment
    # service: the scenario fixes every balance by hand (above).
    payments = [
        ("D1", 100, date(2026, 2, 10), PaymentStatus.COMPLETED), ("D3", 300, date(2026, 2, 15), PaymentStatus.COMPLETED),
        ("D8", 200, date(2026, 2, 20), PaymentStatus.COMPLETED), ("D9", 300, date(2026, 3, 5), PaymentStatus.COMPLETED),
        ("D4", 400, date(2026, 3, 10), PaymentStatus.COMPLETED), ("D10", 400, date(2026, 3, 12), PaymentStatus.COMPLETED),
        ("D3", 2700, date(2026, 4, 2), PaymentStatus.COMPLETED), ("D1", 1000, date(2026, 4, 20), PaymentStatus.COMPLETED),
        ("D12", 600, date(2026, 4, 25), PaymentStatus.COMPLETED), ("D2", 150, date(2026, 4, 28), PaymentStatus.PENDING),
        ("D11", 500, date(2026, 3, 20), PaymentStatus.FAILED), ("D9", 300, date(2026, 1, 20), PaymentStatus.COMPLETED),
    ]
    for name, amount, day, status in payments:
        debt = debts[name]
        Payment.objects.create(debt=debt, customer_id=debt.customer_id, amount=Decimal(amount), payment_date=at(day), status=status)

    promises = [
        ("D1", "alice", 200, PromiseStatus.KEPT, 200, date(2026, 2, 5)), ("D2", "alice", 300, PromiseStatus.BROKEN, 0, date(2026, 2, 10)),
        ("D5", "bob", 500, PromiseStatus.BROKEN, 100, date(2026, 3, 1)), ("D8", "bob", 200, PromiseStatus.KEPT, 200, date(2026, 2, 12)),
        ("D10", "alice", 400, PromiseStatus.PENDING, 0, date(2026, 4, 20)), ("D11", "bob", 250, PromiseStatus.CANCELLED, 0, date(2026, 3, 15)),
        ("D9", "alice", 100, PromiseStatus.KEPT, 100, date(2026, 1, 15)),
    ]
    for name, user, amount, status, paid, made in promises:
        debt = debts[name]
        promise = PromiseToPay.objects.create(debt=debt, customer_id=debt.customer_id, amount=Decimal(amount), status=status,
                                              amount_paid=Decimal(paid), promised_date=made, created_by=users[user])
        PromiseToPay.objects.filter(pk=promise.pk).update(created_at=at(made))

    contacts = [
        ("alice", "D1", "connected", date(2026, 2, 4)), ("alice", "D2", "no_answer", date(2026, 2, 9)),
        ("alice", "D2", "payment_promised", date(2026, 2, 10)), ("bob", "D5", "refused", date(2026, 3, 1)),
        ("bob", "D8", "voicemail", date(2026, 2, 11)), ("bob", "D8", "payment_promised", date(2026, 2, 12)),
        ("alice", "D10", "connected", date(2026, 4, 20)), ("alice", "D9", "connected", date(2026, 1, 10)),
    ]
    for user, name, outcome, day in contacts:
        debt = debts[name]
        CommunicationLog.objects.create(customer_id=debt.customer_id, debt=debt, communication_type=CommunicationType.CALL,
                                        direction=CommunicationDirection.OUTBOUND, outcome=outcome, timestamp=at(day), agent_user=users[user])

    calls = [("alice", "D1", at(date(2026, 2, 4)), CallStatus.COMPLETED), ("alice", "D2", at(date(2026, 2, 9)), CallStatus.NO_ANSWER),
             ("alice", "D10", None, CallStatus.SCHEDULED), ("bob", "D8", None, CallStatus.SCHEDULED)]
    for user, name, initiated, status in calls:
        debt = debts[name]
        call = CallSession.objects.create(customer_id=debt.customer_id, debt=debt, to_number="+256700000001", status=status,
                                          initiated_at=initiated, triggered_by=users[user])
        CallSession.objects.filter(pk=call.pk).update(created_at=at(date(2026, 3, 1)))

    statements = [
        ("UATL", date(2026, 2, 10), "FLAGGED", 80, [{"code": "font_mismatch"}, {"code": "balance_break"}]),
        ("UATL", date(2026, 2, 20), "VERIFIED", 10, [{"code": "font_mismatch"}]),
        ("UMTN", date(2026, 3, 5), "FLAGGED", 60, [{"code": "balance_break"}, {"code": "balance_break"}]),
        ("UMTN", date(2026, 3, 6), "VERIFIED", None, []),
    ]
    for i, (provider, day, status, score, reasons) in enumerate(statements):
        statement = Statement.objects.create(acc_prvdr_code=provider, file_name=f"s{i}.pdf", status=status, acc_number=f"77{i}")
        Statement.objects.filter(pk=statement.pk).update(created_at=at(day))
        StatementSummary.objects.create(statement=statement, acc_prvdr_code=provider, risk_score=score, risk_reasons=reasons)
    return {"users": users, "debts": debts}
