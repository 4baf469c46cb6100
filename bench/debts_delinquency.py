"""Benchmark: ``update_delinquency`` over 1,000,000 debts in MariaDB.

Creates its own database (``bench_debts``), migrates it, generates rows with
INSERT … SELECT from MariaDB's sequence engine (no ORM loop), times the
delinquency run, and drops the database. Target: under 60 s for a full run.

    .venv/bin/python bench/debts_delinquency.py [--debts 1000000] [--runs 3] [--keep]

Figures printed: the median (and each run) of
  * a cold run: every debt's days past due has to be written, ~1/3 default;
  * a warm run: the nightly steady state, where little changed since yesterday.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306")
DB_NAME = "bench_debts"


def _admin_cursor():
    import MySQLdb

    url = urlsplit(SERVER)
    return MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                           passwd=url.password or "").cursor()


def _insert_select(cursor, model, count: int, overrides: dict[str, str], seq_table: str) -> None:
    """INSERT INTO <model table> SELECT … FROM <seq_table>: every column gets an
    override SQL expression (``seq`` is the row number), else its model default."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    columns, selects, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        expression = overrides.get(field.name, overrides.get(field.attname))
        if expression is not None:
            selects.append(expression.replace("%", "%%"))  # the query is %-formatted
        elif field.null:
            selects.append("NULL")
        elif field.has_default() and field.default is not NOT_PROVIDED:
            value = field.get_default()
            selects.append("%s")
            params.append(field.get_db_prep_save(value, connection))
        else:
            selects.append("''")
    sql = (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
           f"SELECT {', '.join(selects)} FROM {seq_table}")
    cursor.execute(sql, params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards")
    args = parser.parse_args()

    cur = _admin_cursor()
    cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    cur.execute(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from customers.models import Customer
        from debts.models import Debt, Payment, PromiseToPay
        from debts.services import debts_update_delinquency

        t0 = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.monotonic() - t0:.1f}s")

        n = args.debts
        n_customers = max(1, n // 10)
        today = timezone.localdate()
        t0 = time.monotonic()
        with connection.cursor() as c:
            c.execute("SET SESSION unique_checks=0")
            _insert_select(c, Customer, n_customers, {
                "full_name": "CONCAT('Customer ', seq)",
                "primary_phone": "CONCAT('+25677', LPAD(seq, 7, '0'))",
                "fingerprint": "SHA2(CONCAT('bench|', seq), 256)",
                "created_at": "NOW()", "updated_at": "NOW()",
            }, f"seq_1_to_{n_customers}")
            c.execute("SELECT MIN(id) FROM customers")
            first_customer = c.fetchone()[0]
            # Due dates from 60 days ahead to 140 days behind; every 10th debt
            # paid off, every 7th has paid its instalment after the due date.
            _insert_select(c, Debt, n, {
                "customer_id": f"{first_customer} + (seq % {n_customers})",
                "loan_id": "CONCAT('BENCH', seq)",
                "original_amount": "1000 + (seq % 5000)",
                "current_balance": "IF(seq % 10 = 0, 0, 500 + (seq % 4000))",
                "due_amount": "100",
                "status": "IF(seq % 10 = 0, 'PAID_OFF', IF(seq % 13 = 0, 'IN_COLLECTION', 'ACTIVE'))",
                "issue_date": "CURDATE() - INTERVAL 365 DAY",
                "due_date": "CURDATE() - INTERVAL (CAST(seq % 200 AS SIGNED) - 60) DAY",
                "last_payment_date": "IF(seq % 7 = 0, CURDATE() - INTERVAL 1 DAY, NULL)",
                "last_payment_amount": "IF(seq % 7 = 0, 150, NULL)",
                "branch": "CONCAT('Branch ', seq % 40)", "cluster": "CONCAT('Cluster ', seq % 6)",
                "days_past_due": "0", "created_at": "NOW()", "updated_at": "NOW()",
            }, f"seq_1_to_{n}")
            c.execute("SELECT MIN(id) FROM debts")
            first_debt = c.fetchone()[0]
            n_promises = n // 20
            _insert_select(c, PromiseToPay, n_promises, {
                "customer_id": f"{first_customer} + ((seq * 20) % {n_customers})",
                "debt_id": f"{first_debt} + seq * 20 - 1",
                "amount": "100", "amount_paid": "0", "status": "'PENDING'",
                "promised_date": "CURDATE() - INTERVAL (seq % 10) DAY",
                "created_at": "NOW() - INTERVAL 20 DAY", "updated_at": "NOW()",
            }, f"seq_1_to_{n_promises}")
            _insert_select(c, Payment, n_promises, {
                "customer_id": f"{first_customer} + ((seq * 20) % {n_customers})",
                "debt_id": f"{first_debt} + seq * 40 - 1",
                "amount": "100", "status": "'COMPLETED'", "payment_date": "NOW() - INTERVAL 12 DAY",
                "created_at": "NOW()", "updated_at": "NOW()",
            }, f"seq_1_to_{n // 40}")
            c.execute("ANALYZE TABLE debts, payments, promises_to_pay")
        print(f"generated {n:,} debts, {n_customers:,} customers, {n_promises:,} promises, {n // 40:,} payments in {time.monotonic() - t0:.1f}s")

        def reset():
            with connection.cursor() as c:
                c.execute("UPDATE debts SET days_past_due = 0, status = IF(current_balance = 0, 'PAID_OFF', "
                          "IF(id % 13 = 0, 'IN_COLLECTION', 'ACTIVE'))")
                c.execute(f"DELETE FROM {Debt.history.model._meta.db_table}")
                c.execute("UPDATE promises_to_pay SET status = 'PENDING', amount_paid = 0, evaluated_at = NULL")

        cold, warm = [], []
        result = None
        for i in range(args.runs):
            reset()
            t0 = time.monotonic()
            result = debts_update_delinquency(today=today)
            cold.append(time.monotonic() - t0)
            t0 = time.monotonic()
            again = debts_update_delinquency(today=today)
            warm.append(time.monotonic() - t0)
            print(f"run {i + 1}: cold {cold[-1]:.1f}s ({result.days_past_due_changed:,} dpd changed, "
                  f"{result.moved_to_defaulted:,} defaulted, {result.promises_kept:,} kept, {result.promises_broken:,} broken); "
                  f"warm {warm[-1]:.1f}s ({again.days_past_due_changed} changed)")
        print(f"update_delinquency over {n:,} debts: median cold {statistics.median(cold):.1f}s, "
              f"median warm {statistics.median(warm):.1f}s (target < 60 s)")
        __import__('_report').report(f"update_delinquency over {n:,} debts (MariaDB)", f"{statistics.median(cold):.1f} s", "< 60 s", statistics.median(cold) < 60)
        assert not Debt.objects.filter(status="DEFAULTED", days_past_due__lte=90).exists(), "a debt defaulted too early"
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
            print(f"dropped {DB_NAME}")


if __name__ == "__main__":
    main()
