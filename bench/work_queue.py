"""Benchmark: the collector's workbench over a loan book of 1M debts.

Creates its own MariaDB database (``bench_work_queue``), migrates it, and
generates with INSERT … SELECT from MariaDB's sequence engine (no ORM loop):
200,000 customers (one in 20 in New York, so "callable now" splits them),
1,000,000 debts spread over 200 agents (5,000 each), 2,500,000 completed
payments and 2,500,000 contact logs, 100,000 promises (some due today). One
customer gets a story of 2,000 events (payments, contacts, calls with their
status steps, promises, statements, upload lines). Then it times, through the
API (DRF test client, authentication forced, serialisation included):

  * ``GET /api/v1/work-queue/`` for an agent with 5,000 assigned debts
    (default priority order, page of 50), and sorted by a column;
  * ``GET /api/v1/customers/{id}/timeline/`` for the customer with 2,000 events;
  * ``GET /api/v1/customers/?search=`` with a local-format phone and with a
    6-digit tail (the tail is 1,000 indexed probes, not a scan).

Targets: < 150 ms median for the queue and the timeline, with a constant
number of queries (printed).

    .venv/bin/python bench/work_queue.py [--debts 1000000] [--repeats 15] [--keep] [--reuse]

``--keep`` leaves the database behind; ``--reuse`` measures a kept one
again without generating it (the generation takes a few minutes).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_work_queue")
from _db import MYSQL_URL, mysql_admin  # noqa: E402  (bench/ is on sys.path when run as a script)
from _report import report  # noqa: E402

AGENT_DEBTS = 5_000


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{MYSQL_URL}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False


def insert_select(cursor, model, overrides: dict[str, str], seq_table: str) -> None:
    """INSERT INTO <model table> SELECT … FROM <seq_table>: each column its
    override SQL (``seq`` is the row number), else its model default."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    columns, selects, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        expression = overrides.get(field.name, overrides.get(field.attname))
        if expression is not None:
            selects.append(expression.replace("%", "%%"))
        elif field.null:
            selects.append("NULL")
        elif field.has_default() and field.default is not NOT_PROVIDED:
            selects.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            selects.append("''")
    cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
                   f"SELECT {', '.join(selects)} FROM {seq_table}", params)


def populate(n_debts: int) -> dict:
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from calls.models import CallSession, CallStatusUpdate
    from core import roles
    from customers.models import Customer
    from debts.models import CommunicationLog, Debt, Disposition, Payment, PromiseToPay
    from statements.models import Statement
    from uploads.models import FileUpload, UploadRow

    n_customers = max(10, n_debts // 5)
    n_agents = max(1, n_debts // AGENT_DEBTS)
    n_moves = n_debts * 5 // 2  # payments, and as many contact logs
    roles.sync_roles()
    agents_group = Group.objects.get(name=roles.COLLECTIONS_AGENT)
    User.objects.bulk_create([User(username=f"agent{i:04d}", password="!") for i in range(n_agents)])
    agents = list(User.objects.filter(username__startswith="agent").order_by("id"))
    agents_group.user_set.add(*agents)
    first_agent = agents[0].pk
    no_answer = Disposition.objects.get(code="no_answer").pk
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SET SESSION unique_checks=0, foreign_key_checks=0")
        insert_select(c, Customer, {
            "full_name": "CONCAT('Customer ', seq)",
            "primary_phone": "CONCAT('+2567', LPAD(seq, 8, '0'))",
            "fingerprint": "SHA2(CONCAT('bench|', seq), 256)",
            "timezone": "IF(seq % 20 = 0, 'America/New_York', 'Africa/Kampala')",
            "last_contact_date": "IF(seq % 3 = 0, NULL, NOW() - INTERVAL (seq % 60) DAY)",
            "created_at": "NOW()", "updated_at": "NOW()",
        }, f"seq_1_to_{n_customers}")
        c.execute("SELECT MIN(id) FROM customers")
        first_customer = c.fetchone()[0]
        # Debt k (seq = k + 1) belongs to customer (seq % customers) and to
        # agent (seq % agents): 5,000 per agent, 5 debts per customer.
        insert_select(c, Debt, {
            "customer_id": f"{first_customer} + (seq % {n_customers})",
            "loan_id": "CONCAT('WQ', seq)",
            "original_amount": "100000 + (seq % 900) * 1000",
            "current_balance": "50000 + (seq % 700) * 1000",
            "due_amount": "IF(seq % 4 = 0, NULL, 5000 + (seq % 97) * 500)",
            "status": "IF(seq % 10 = 0, 'PAID_OFF', IF(seq % 11 = 0, 'IN_COLLECTION', IF(seq % 37 = 0, 'DEFAULTED', 'ACTIVE')))",
            "days_past_due": "IF(seq % 10 = 0, 0, seq % 150)",
            "due_date": "CURDATE() - INTERVAL (seq % 150) DAY",
            "branch": "CONCAT('Branch ', seq % 40)", "cluster": "CONCAT('Cluster ', seq % 6)",
            "employee_id": "CONCAT('EMP', seq % 300)", "employee_name": "CONCAT('Employee ', seq % 300)",
            # Blocks of 5,000 consecutive debts per agent, so each agent's
            # debts have every status and days past due.
            "assigned_to_id": f"{first_agent} + (((seq - 1) DIV {AGENT_DEBTS}) % {n_agents})",
            "next_action_date": "IF(seq % 50 = 0, CURDATE() + INTERVAL 3 DAY, NULL)",
            "currency": "'UGX'", "created_at": "NOW()", "updated_at": "NOW()",
        }, f"seq_1_to_{n_debts}")
        c.execute("SELECT MIN(id) FROM debts")
        first_debt = c.fetchone()[0]
        debt_of = f"({first_debt} + (seq % {n_debts}))"
        customer_of = f"({first_customer} + (((seq % {n_debts}) + 1) % {n_customers}))"
        insert_select(c, Payment, {
            "customer_id": customer_of, "debt_id": debt_of, "amount": "1000 + (seq % 50) * 100",
            "payment_date": "NOW() - INTERVAL (seq % 300) DAY", "status": "'COMPLETED'", "completed_at": "NOW()",
            "payment_method": "'mobile_money'", "created_at": "NOW()", "updated_at": "NOW()",
        }, f"seq_1_to_{n_moves}")
        insert_select(c, CommunicationLog, {
            "customer_id": customer_of, "debt_id": debt_of, "communication_type": "'CALL'", "direction": "'outbound'",
            "outcome": "'no_answer'", "disposition_id": str(no_answer), "timestamp": "NOW() - INTERVAL (seq % 90) DAY",
            "agent_id": "'bench'", "created_at": "NOW()", "updated_at": "NOW()",
        }, f"seq_1_to_{n_moves}")
        n_promises = n_debts // 10
        insert_select(c, PromiseToPay, {
            "customer_id": f"({first_customer} + (((seq * 10 % {n_debts}) + 1) % {n_customers}))",
            "debt_id": f"({first_debt} + (seq * 10 % {n_debts}))",
            "amount": "10000", "amount_paid": "0", "status": "IF(seq % 7 = 0, 'BROKEN', 'PENDING')",
            "evaluated_at": "IF(seq % 7 = 0, NOW(), NULL)",
            "promised_date": "CURDATE() + INTERVAL (CAST(seq % 6 AS SIGNED) - 2) DAY",
            "created_at": "NOW() - INTERVAL 10 DAY", "updated_at": "NOW()",
        }, f"seq_1_to_{n_promises}")
    generated = time.perf_counter() - t0

    # The story of one customer: 2,000 events on the timeline.
    from datetime import timedelta

    from django.utils import timezone

    star = Customer.objects.get(pk=first_customer)
    debt = Debt.objects.filter(customer=star).first()
    now = timezone.now()
    Payment.objects.bulk_create([
        Payment(customer=star, debt=debt, amount=1000 + i, payment_date=now - timedelta(hours=i), status="COMPLETED") for i in range(700)
    ])
    CommunicationLog.objects.bulk_create([
        CommunicationLog(customer=star, debt=debt, communication_type="CALL", direction="outbound", outcome="no_answer",
                         disposition_id=no_answer, timestamp=now - timedelta(hours=i, minutes=30)) for i in range(700)
    ])
    calls = CallSession.objects.bulk_create([
        CallSession(customer=star, debt=debt, to_number=star.primary_phone, status="completed") for _ in range(300)
    ])
    CallStatusUpdate.objects.bulk_create([
        CallStatusUpdate(call_session=call, status=status, timestamp=now - timedelta(minutes=i))
        for call in calls for i, status in enumerate(("initiated", "ringing", "completed"))
    ])
    PromiseToPay.objects.bulk_create([
        PromiseToPay(customer=star, debt=debt, amount=500, promised_date=timezone.localdate() + timedelta(days=1)) for _ in range(200)
    ])
    Statement.objects.bulk_create([
        Statement(customer=star, acc_prvdr_code="UATL", acc_number=f"70{i:07d}", file_name=f"s{i}.pdf") for i in range(100)
    ])
    upload = FileUpload.objects.create(filename="book.csv")
    UploadRow.objects.bulk_create([
        UploadRow(file_upload=upload, line_number=i + 2, row_fingerprint=f"{i:064x}", matched_customer=star, matched_debt=debt)
        for i in range(50)
    ])
    with connection.cursor() as c:
        c.execute("ANALYZE TABLE customers, debts, payments, communication_logs, promises_to_pay, call_sessions")
    return {"customers": n_customers, "agents": n_agents, "moves": n_moves, "promises": n_promises, "seconds": generated,
            "agent": agents[0], "star": star}


def existing(n_debts: int) -> dict:
    """What ``populate`` answered, read back from a kept database."""
    from django.contrib.auth.models import User

    from customers.models import Customer

    return {
        "customers": Customer.objects.count(), "agents": User.objects.filter(username__startswith="agent").count(),
        "moves": n_debts * 5 // 2, "promises": n_debts // 10, "seconds": 0.0,
        "agent": User.objects.filter(username__startswith="agent").order_by("id").first(),
        "star": Customer.objects.order_by("id").first(),
    }


LAST: dict = {}


def timed(client, url: str, params: dict, repeats: int) -> tuple[float, int, dict]:
    """Median wall time (ms) of ``repeats`` GETs after a warm-up, the query
    count, the last body. ``LAST`` keeps the medians of this process's CPU
    time and of the database's time (the queries' round trips), which say
    more than the wall time when the two cores are shared with other work."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu, db = [], [], []
    body: dict = {}
    queries = 0
    for i in range(repeats + 1):
        with CaptureQueriesContext(connection) as captured:
            t0, c0 = time.perf_counter(), time.process_time()
            answer = client.get(url, params)
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        assert answer.status_code == 200, answer.content[:500]
        if i:  # the first is a warm-up
            times.append(elapsed)
            cpu.append(used)
            db.append(sum(float(q["time"]) for q in captured.captured_queries))
        queries = len(captured.captured_queries)
        body = answer.json()
    LAST.update(cpu=statistics.median(cpu) * 1000, db=statistics.median(db) * 1000)
    return statistics.median(times) * 1000, queries, body


def detail() -> str:
    return f"(process CPU {LAST['cpu']:.1f} ms, database {LAST['db']:.1f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="Measure a database kept by an earlier --keep run")
    args = parser.parse_args()

    if not args.reuse:
        mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
        mysql_admin(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        setup_django()
        from django.core.management import call_command
        from django.urls import resolve
        from rest_framework.test import APIClient

        # The URLconf (every app's API) imports now: a broken tree fails
        # before minutes of generation, not after.
        resolve("/api/v1/work-queue/")
        if args.reuse:
            data = existing(args.debts)
        else:
            t0 = time.perf_counter()
            call_command("migrate", verbosity=0)
            print(f"migrated in {time.perf_counter() - t0:.1f}s")
            data = populate(args.debts)
            print(f"generated {args.debts:,} debts, {data['customers']:,} customers, {data['agents']} agents, {data['moves']:,} "
                  f"payments and {data['moves']:,} contact logs, {data['promises']:,} promises in {data['seconds']:.1f}s")

        agent = data["agent"]
        client = APIClient()
        client.force_authenticate(agent)
        ms, queries, body = timed(client, "/api/v1/work-queue/", {}, args.repeats)
        print(f"work queue, priority order: {body['count']:,} open debts of the agent (of {AGENT_DEBTS:,} assigned), "
              f"page of {len(body['results'])}: median {ms:.1f} ms, {queries} queries {detail()}")
        report(f"GET /api/v1/work-queue/ (agent with {AGENT_DEBTS:,} of {args.debts:,} debts)", f"{ms:.1f} ms", "< 150 ms", ms < 150)
        queue_ms = ms
        ms_sorted, q_sorted, _ = timed(client, "/api/v1/work-queue/", {"ordering": "-amount_overdue", "dpd_bucket": "d31_60"}, args.repeats)
        print(f"work queue sorted by -amount_overdue, 31–60 bucket: median {ms_sorted:.1f} ms, {q_sorted} queries {detail()}")

        star = data["star"]
        ms, queries, body = timed(client, f"/api/v1/customers/{star.pk}/timeline/", {}, args.repeats)
        print(f"timeline of a customer with {body['count']:,} events: median {ms:.1f} ms, {queries} queries {detail()}")
        report(f"GET /api/v1/customers/{{id}}/timeline/ ({body['count']:,} events)", f"{ms:.1f} ms", "< 150 ms", ms < 150)
        timeline_ms = ms

        phone = star.primary_phone  # +2567XXXXXXXX
        local = "0" + phone[4:7] + " " + phone[7:10] + " " + phone[10:]
        for label, text in (("local format", local), ("6-digit tail", phone[-6:])):
            ms, queries, body = timed(client, "/api/v1/customers/", {"search": text}, args.repeats)
            print(f"customer search by phone, {label} {text!r} over {data['customers']:,} customers: "
                  f"{body['count']} found, median {ms:.1f} ms, {queries} queries {detail()}")
            report(f"GET /api/v1/customers/?search= phone {label} ({data['customers']:,} customers)", f"{ms:.1f} ms", "-", None)
        print(f"\nmedians: queue {queue_ms:.1f} ms, timeline {timeline_ms:.1f} ms (targets < 150 ms)")
    finally:
        if not args.keep and not args.reuse:
            from django.db import connections

            connections.close_all()
            mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
            print(f"dropped {DB_NAME}")


if __name__ == "__main__":
    main()
