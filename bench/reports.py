"""Benchmark: the portfolio snapshot and the seven reports on MariaDB.

Creates its own database (``bench_reports``), migrates it, generates the book
with INSERT … SELECT from MariaDB's sequence engine (no ORM loop): debts in
40 branches and 400 employees, 100 agents, payments, contacts, promises,
calls and statements. Then:

* times ``portfolio_snapshot_take`` over every debt (a first run, and
  ``--snapshot-reruns`` re-runs that replace the date, median; with
  ``--snapshot-paired N``, N pairs alternating the partition swap with the
  in-place DELETE + INSERT) — target < 60 s for 1M debts;
* writes the other ``--months - 1`` month-end snapshots directly in SQL (the
  history a year of nightly runs leaves; days past due vary month to month);
* builds (or brings up to date) the collections summary and times it, and
  a second run with nothing changed (``--no-summary``: the reports sum
  amount collected live; ``--changed-days N``: one payment saved again on
  each of N past days, which the reports then read live);
* times each report's JSON (selector + pandas tables + JSON rows; target
  < 3 s) and its XLSX (target < 10 s), median of ``--runs``, over the last
  ``--months`` months;
* prints the process's peak memory (target < 1 GB).

    .venv/bin/python bench/reports.py [--debts 1000000] [--months 12] [--payments 5000000]
                                      [--contacts 2000000] [--runs 3] [--keep] [--reuse]
                                      [--snapshot-reruns N] [--no-summary | --rebuild-summary] [--changed-days N] [--snapshot-paired N]

Develop with ``--debts 50000 --payments 250000 --contacts 100000``.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306")
DB_NAME = os.environ.get("BENCH_REPORTS_DB", "bench_reports")
BRANCHES, EMPLOYEES, AGENTS = 40, 400, 100


def month_end(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def months_back(d: date, k: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - k, 12)
    return month_end(date(y, m + 1, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--payments", type=int, default=5_000_000)
    parser.add_argument("--contacts", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="Time the snapshot and the reports again on the database a --keep run left (migrated first; no new data)")
    parser.add_argument("--only", action="append", default=[], help="Time only this report (repeatable)")
    parser.add_argument("--no-snapshot", action="store_true", help="With --reuse: do not time the snapshot again")
    parser.add_argument("--no-summary", action="store_true",
                        help="Time the reports without the collections summary (amount collected summed live from the payments)")
    parser.add_argument("--rebuild-summary", action="store_true", help="Drop the collections summary first and time building it whole")
    parser.add_argument("--changed-days", type=int, default=0,
                        help="After the summary run, save one payment on each of this many past days: the reports read those days live")
    parser.add_argument("--snapshot-reruns", type=int, default=1,
                        help="Time this many re-runs replacing the date (median quoted; default 1)")
    parser.add_argument("--snapshot-paired", type=int, default=0, metavar="N",
                        help="Also time N pairs of re-runs, alternating the swap (EXCHANGE PARTITION) with the in-place "
                             "replace (DELETE + INSERT in one transaction, what every run did before partitioning)")
    args = parser.parse_args()

    from _db import mysql_admin

    if not args.reuse:
        mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}", SERVER)
        mysql_admin(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", SERVER)
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        import django

        django.setup()
        from debts_delinquency import _insert_select
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from _report import report
        from calls.models import CallSession
        from customers.models import Customer
        from debts.models import CommunicationLog, Debt, Payment, PromiseToPay
        from reports import reporting
        from reports.choices import Report
        from reports.filters import ReportFilters
        from reports.services import portfolio_snapshot_take, portfolio_summary_rebuild
        from reports.services.snapshots import _bucket_sql, snapshot_partition_ensure
        from statements.models import Statement, StatementSummary

        t0 = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.monotonic() - t0:.1f}s", flush=True)

        n, months = args.debts, args.months
        today = timezone.localdate()
        as_of = today
        first_month_end = months_back(today, months - 1)
        if args.reuse:
            with connection.cursor() as c:
                c.execute("SELECT COUNT(*) FROM debts")
                n = c.fetchone()[0]
            print(f"reusing {DB_NAME}: {n:,} debts and their history", flush=True)
        else:
            n_customers = max(1, n // 5)
            t0 = time.monotonic()
            with connection.cursor() as c:
                c.execute("SET SESSION unique_checks=0")
                User = get_user_model()
                User.objects.bulk_create([User(username=f"agent{i:03d}", password="!") for i in range(AGENTS)])
                c.execute("SELECT MIN(id) FROM auth_user")
                first_user = c.fetchone()[0]
                _insert_select(c, Customer, n_customers, {
                    "full_name": "CONCAT('Customer ', seq)", "primary_phone": "CONCAT('+25677', LPAD(seq, 7, '0'))",
                    "fingerprint": "SHA2(CONCAT('bench|', seq), 256)", "created_at": "NOW()", "updated_at": "NOW()",
                }, f"seq_1_to_{n_customers}")
                c.execute("SELECT MIN(id) FROM customers")
                first_customer = c.fetchone()[0]
                # Issued over the last 24 months; one debt in ten paid off, one in
                # fifty written off; an employee belongs to one branch.
                _insert_select(c, Debt, n, {
                    "customer_id": f"{first_customer} + (seq % {n_customers})",
                    "loan_id": "CONCAT('BENCH', seq)",
                    "original_amount": "100000 + (seq % 50) * 10000",
                    "current_balance": "IF(seq % 10 = 0, 0, 50000 + (seq % 40) * 5000)",
                    "due_amount": "10000 + (seq % 20) * 1000",
                    "status": "IF(seq % 10 = 0, 'PAID_OFF', IF(seq % 50 = 1, 'WRITTEN_OFF', IF((seq * 7) % 200 > 190, 'DEFAULTED', 'ACTIVE')))",
                    "days_past_due": "IF(seq % 10 = 0, 0, GREATEST(0, CAST((seq * 7) % 200 AS SIGNED) - 100))",
                    "issue_date": "CURDATE() - INTERVAL (seq % 730) DAY",
                    "due_date": "CURDATE() + INTERVAL 10 DAY",
                    "branch": f"CONCAT('Branch ', LPAD((seq % {EMPLOYEES}) % {BRANCHES}, 2, '0'))",
                    "employee_id": f"CONCAT('E', LPAD(seq % {EMPLOYEES}, 3, '0'))",
                    "employee_name": f"CONCAT('Employee ', seq % {EMPLOYEES})",
                    "assigned_to_id": f"IF(seq % 20 = 0, NULL, {first_user} + (seq % {AGENTS}))",
                    "created_at": "NOW()", "updated_at": "NOW()",
                }, f"seq_1_to_{n}")
                c.execute("SELECT MIN(id) FROM debts")
                first_debt = c.fetchone()[0]
                debt_of = f"{first_debt} + (seq % {n})"
                customer_of = f"{first_customer} + ((seq % {n}) % {n_customers})"
                span_days = months * 31
                paid_at = f"NOW() - INTERVAL (seq % {span_days}) DAY - INTERVAL (seq % 86400) SECOND"
                # Saved when paid (as the payments services save them): the
                # collections summary reads a day saved since its last run live.
                _insert_select(c, Payment, args.payments, {
                    "customer_id": customer_of, "debt_id": debt_of, "amount": "5000 + (seq % 30) * 1000",
                    "status": "IF(seq % 25 = 0, 'FAILED', 'COMPLETED')",
                    "payment_date": paid_at, "created_at": paid_at, "updated_at": paid_at,
                }, f"seq_1_to_{args.payments}")
                outcomes = "ELT(1 + seq % 6, 'connected', 'no_answer', 'payment_promised', 'voicemail', 'refused', 'busy')"
                _insert_select(c, CommunicationLog, args.contacts, {
                    "customer_id": customer_of, "debt_id": debt_of, "communication_type": "'CALL'", "direction": "'outbound'",
                    "outcome": outcomes, "timestamp": f"NOW() - INTERVAL (seq % {span_days}) DAY",
                    "agent_user_id": f"{first_user} + (seq % {AGENTS})", "created_at": "NOW()", "updated_at": "NOW()",
                }, f"seq_1_to_{args.contacts}")
                n_promises = args.contacts // 4
                _insert_select(c, PromiseToPay, n_promises, {
                    "customer_id": customer_of, "debt_id": debt_of, "amount": "20000", "amount_paid": "IF(seq % 3 = 0, 20000, 0)",
                    "status": "ELT(1 + seq % 4, 'PENDING', 'KEPT', 'BROKEN', 'CANCELLED')",
                    "promised_date": f"CURDATE() - INTERVAL (seq % {span_days}) DAY",
                    "created_by_id": f"{first_user} + (seq % {AGENTS})",
                    "created_at": f"NOW() - INTERVAL (seq % {span_days}) DAY", "updated_at": "NOW()",
                }, f"seq_1_to_{n_promises}")
                n_calls = args.contacts // 10
                _insert_select(c, CallSession, n_calls, {
                    "customer_id": customer_of, "debt_id": debt_of, "to_number": "'+256770000000'", "provider": "'simulator'",
                    "status": "ELT(1 + seq % 4, 'completed', 'no-answer', 'busy', 'scheduled')",
                    "initiated_at": f"IF(seq % 4 = 3, NULL, NOW() - INTERVAL (seq % {span_days}) DAY)",
                    "triggered_by_id": f"{first_user} + (seq % {AGENTS})", "provider_data": "'{}'", "call_metadata": "'{}'",
                    "created_at": f"NOW() - INTERVAL (seq % {span_days}) DAY", "updated_at": "NOW()",
                }, f"seq_1_to_{n_calls}")
                n_statements = max(1, n // 20)
                _insert_select(c, Statement, n_statements, {
                    "acc_prvdr_code": "IF(seq % 2 = 0, 'UATL', 'UMTN')", "file_name": "CONCAT('s', seq, '.pdf')",
                    "acc_number": "CONCAT('77', seq)", "status": "IF(seq % 7 = 0, 'FLAGGED', 'VERIFIED')", "header_fields": "'{}'",
                    "created_at": f"NOW() - INTERVAL (seq % {span_days}) DAY", "updated_at": "NOW()",
                }, f"seq_1_to_{n_statements}")
                c.execute("SELECT MIN(id) FROM metadata")
                first_statement = c.fetchone()[0]
                _insert_select(c, StatementSummary, n_statements, {
                    "statement_id": f"{first_statement} + seq - 1", "acc_prvdr_code": "IF(seq % 2 = 0, 'UATL', 'UMTN')",
                    "risk_score": "IF(seq % 3 = 0, NULL, seq % 100)",
                    "risk_reasons": "IF(seq % 3 = 0, '[]', IF(seq % 2 = 0, '[{\"code\": \"font_mismatch\"}]', "
                                    "'[{\"code\": \"balance_break\"}, {\"code\": \"meta_edit\"}]'))",
                    "created_at": "NOW()", "updated_at": "NOW()",
                }, f"seq_1_to_{n_statements}")
                c.execute("ANALYZE TABLE debts, payments, communication_logs, promises_to_pay, call_sessions, metadata, summary")
            print(f"generated {n:,} debts, {n_customers:,} customers, {args.payments:,} payments, {args.contacts:,} contacts, "
                  f"{n_promises:,} promises, {n_calls:,} calls, {n_statements:,} statements in {time.monotonic() - t0:.1f}s", flush=True)

            # History: the month-end snapshots before this month, written directly
            # (days past due vary by debt and month; prev_bucket is the previous one's).
            t0 = time.monotonic()
            ends = [months_back(today, k) for k in range(months - 1, 0, -1)]

            def dpd(m: int) -> str:
                return f"IF(d.status IN ('PAID_OFF', 'SETTLED', 'WRITTEN_OFF'), 0, GREATEST(0, CAST((d.id * 7 + {m} * 37) %% 200 AS SIGNED) - 100))"

            with connection.cursor() as c:
                for m, end in enumerate(ends):
                    # Its own partition first (MariaDB), as the service gives every date it writes.
                    snapshot_partition_ensure(end)
                    prev = _bucket_sql("d.status", dpd(m - 1)) if m else "''"
                    c.execute(
                        "INSERT INTO portfolio_snapshots (snapshot_date, debt_id, branch, employee_id, employee_name, assigned_to_id, status, "
                        "days_past_due, bucket, prev_bucket, balance, due_amount, principal, issue_date, disbursement_month, months_on_book, "
                        "created_at) "
                        f"SELECT %s, d.id, d.branch, d.employee_id, d.employee_name, d.assigned_to_id, d.status, {dpd(m)}, "
                        f"{_bucket_sql('d.status', dpd(m))}, {prev}, d.current_balance, d.due_amount, d.original_amount, d.issue_date, "
                        "d.issue_date - INTERVAL (DAYOFMONTH(d.issue_date) - 1) DAY, "
                        "(YEAR(%s) * 12 + MONTH(%s)) - (YEAR(d.issue_date) * 12 + MONTH(d.issue_date)), NOW() "
                        "FROM debts d WHERE d.issue_date <= %s",
                        [end, end, end, end],
                    )
                    written = c.rowcount
                    summary_rows = portfolio_summary_rebuild(as_of=end)
                    print(f"  history {end}: {written:,} rows, {summary_rows:,} summary rows", flush=True)
            print(f"history: {len(ends)} month-end snapshots in {time.monotonic() - t0:.1f}s", flush=True)

        # The snapshot itself, through the service: first run, then a re-run replacing the date.
        if args.reuse and args.no_snapshot:
            snap_first = None
        else:
            snap_first = portfolio_snapshot_take(as_of=as_of)
            reruns = [portfolio_snapshot_take(as_of=as_of) for _ in range(max(1, args.snapshot_reruns))]
            snap_again = reruns[-1]
            again = statistics.median(r.seconds for r in reruns)
            print(f"snapshot {as_of}: first run {snap_first.rows_written:,} rows ({snap_first.summary_rows:,} summary rows) in {snap_first.seconds:.1f}s; "
                  f"re-run (replaces {snap_again.rows_deleted:,}, {snap_again.method}) median {again:.1f}s "
                  f"(runs {', '.join(f'{r.seconds:.1f}' for r in reruns)}; steps of the last {snap_again.phases})", flush=True)
            report(f"snapshot_portfolio over {n:,} debts (first run)", f"{snap_first.seconds:.1f} s", "< 60 s", snap_first.seconds < 60)
            report(f"snapshot_portfolio over {n:,} debts (re-run, replacing the date)", f"{again:.1f} s", "< 60 s", again < 60)
        if args.snapshot_paired:
            from django.db import transaction

            swap, in_place = [], []
            for _ in range(args.snapshot_paired):
                swap.append(portfolio_snapshot_take(as_of=as_of).seconds)
                with transaction.atomic():  # inside a transaction the service replaces in place
                    in_place.append(portfolio_snapshot_take(as_of=as_of).seconds)
            print(f"paired re-runs: swap median {statistics.median(swap):.1f}s ({', '.join(f'{v:.1f}' for v in swap)}); "
                  f"in place median {statistics.median(in_place):.1f}s ({', '.join(f'{v:.1f}' for v in in_place)})", flush=True)
            report(f"snapshot_portfolio re-run over {n:,} debts, swap vs in place (median of {args.snapshot_paired} pairs)",
                   f"{statistics.median(swap):.1f} s vs {statistics.median(in_place):.1f} s", "< 60 s", statistics.median(swap) < 60)
        with connection.cursor() as c:
            c.execute("ANALYZE TABLE portfolio_snapshots, portfolio_summaries")

        # The collections summary (collection efficiency, agents): built or
        # brought up to date, then a second run with nothing changed (the
        # 15-minute run's cost); --changed-days then leaves days for reports to read live.
        mode = ""
        if args.no_summary:
            from reports import collected

            collected.latest_refresh = lambda: None
            mode = ", no collections summary: amount collected summed live"
        else:
            from reports.models import CollectionDay, CollectionRefresh, CollectionSummary
            from reports.services import collection_summary_refresh

            if args.rebuild_summary:
                for model in (CollectionSummary, CollectionDay, CollectionRefresh):
                    model.objects.all().delete()
            built = collection_summary_refresh()
            again = collection_summary_refresh()
            with connection.cursor() as c:
                c.execute("SELECT COUNT(*) FROM collection_summaries")
                summary_rows = c.fetchone()[0]
            print(f"collections summary: {built.days_built:,} (snapshot, day) pairs summed in {built.seconds:.1f}s "
                  f"({built.changed_days:,} changed days); {summary_rows:,} rows; a second run with nothing changed "
                  f"{again.seconds:.2f}s", flush=True)
            report(f"collections summary: {'first build' if args.rebuild_summary or not args.reuse else 'refresh'}, "
                   f"{built.days_built:,} (snapshot, day) pairs", f"{built.seconds:.1f} s", "-", None)
            report("collections summary: a run with nothing changed (every 15 min)", f"{again.seconds:.2f} s", "-", None)
            if args.changed_days:
                with connection.cursor() as c:
                    c.execute(
                        "UPDATE payments p JOIN (SELECT MIN(id) AS id FROM payments WHERE status = 'COMPLETED' AND payment_date >= %s "
                        "AND payment_date < %s GROUP BY DATE(payment_date) ORDER BY MIN(id) LIMIT %s) pick ON pick.id = p.id "
                        "SET p.updated_at = NOW(6)",
                        [first_month_end, today - timedelta(days=1), args.changed_days],
                    )
                    print(f"saved again one payment on each of {c.rowcount} days", flush=True)
                mode = f", {args.changed_days} days changed since the summary"
        filters = ReportFilters(date_from=first_month_end.replace(day=1), date_to=today)
        params = {Report.ROLL_RATES: {"months": 6}, Report.COLLECTION_EFFICIENCY: {"period": "month"}}
        for name in [r for r in Report.values if not args.only or r in args.only]:
            json_times, xlsx_times, sizes = [], [], []
            for _ in range(args.runs):
                t = time.monotonic()
                body = reporting.as_json(reporting.build(name, filters, params.get(name, {})))
                json_times.append(time.monotonic() - t)
                t = time.monotonic()
                data = reporting.as_xlsx(reporting.build(name, filters, params.get(name, {})))
                xlsx_times.append(time.monotonic() - t)
                sizes.append(len(data))
            rows = sum(len(t["rows"]) for t in body["tables"].values())
            j, x = statistics.median(json_times), statistics.median(xlsx_times)
            print(f"{name}: json median {j:.2f}s (runs {', '.join(f'{v:.2f}' for v in json_times)}), {rows:,} rows; "
                  f"xlsx median {x:.2f}s, {sizes[-1] / 1024:.0f} KiB", flush=True)
            report(f"report {name} JSON ({n:,} debts x {months} snapshots{mode})", f"{j:.2f} s", "< 3 s", j < 3)
            report(f"report {name} XLSX{mode}", f"{x:.2f} s", "< 10 s", x < 10)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process: {peak_mb:.0f} MiB", flush=True)
        report("reports: peak memory of the process", f"{peak_mb:.0f} MiB", "< 1024 MiB", peak_mb < 1024)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}", SERVER)
            print(f"dropped {DB_NAME}")


if __name__ == "__main__":
    main()
