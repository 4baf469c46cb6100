"""Benchmark: statements list API and the processed-CSV download on MariaDB.

    .venv/bin/python bench/statements_ops_api.py [--statements 20000] [--rows-per-statement 50]

Creates its own database (``bench_stmt_ops`` on MYSQL_URL, default
``mysql://root@127.0.0.1:3306``), migrates it, fills it with SQL
``INSERT ... SELECT`` from MariaDB's sequence tables (20,000 statements with
summaries, 1,000,000 raw and 1,000,000 processed transactions by default),
measures, and drops it. Targets (issue 4): list median < 100 ms with a query
count that does not depend on the page size; processed-CSV download
>= 100,000 rows/s with flat memory.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_stmt_ops")
from _db import MYSQL_URL, mysql_admin  # noqa: E402  (bench/ is on sys.path when run as a script)


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{MYSQL_URL}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    # No query log kept in memory: it would distort the memory measurement.
    settings.DEBUG = False


def populate(statements: int, per_statement: int) -> dict:
    from django.db import connection

    rows = statements * per_statement
    started = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SET SESSION unique_checks=0, foreign_key_checks=0")
        # Providers 60/40 (seed 000), accounts reused so some appear under both.
        c.execute(f"""
            INSERT INTO metadata (created_at, updated_at, run_id, acc_prvdr_code, acc_number, alt_acc_num, format, file_name, file,
                file_sha256, customer_name, mobile_number, email_address, statement_period, header_fields, pdf_title, pdf_author,
                pdf_creator, pdf_producer, pdf_created_raw, pdf_modified_raw, status, failure_reason, num_rows, cust_id, rm_name,
                period_start, period_end)
            SELECT NOW() - INTERVAL seq MINUTE, NOW(), LPAD(HEX(seq), 13, '0'), IF(seq % 5 < 3, 'UATL', 'UMTN'),
                CAST(700000000 + seq % 15000 AS CHAR), '', IF(seq % 5 < 3, 'uatl_pdf_1', 'umtn_xlsx'), CONCAT('s', seq, '.pdf'), '',
                SHA2(seq, 256), 'JOHN OKELLO', '', '', '', '{{}}', '', '', '', '', '', '',
                ELT(1 + seq % 10, 'VERIFIED','VERIFIED','VERIFIED','VERIFIED','VERIFIED','VERIFIED_WITH_WARNINGS','FLAGGED','FLAGGED','IMPORTED','VERIFIED'),
                '', {per_statement}, IF(seq % 10 < 7, CONCAT('C', seq), ''), ELT(1 + seq % 4, 'EBRAN BRIGHT', 'GRACE AKELLO', 'PETER OPIO', ''),
                '2025-09-01', '2025-09-30'
            FROM seq_1_to_{statements}""")
        c.execute("SELECT MIN(id) FROM metadata")
        first_id = c.fetchone()[0]
        c.execute(f"""
            INSERT INTO summary (created_at, updated_at, statement_id, acc_prvdr_code, acc_number, run_id, num_rows, credits, debits, fees,
                duplicate_count, quality_issues_count, header_row_manipulation_count, special_txn_count, balance_match, balance_diff_changes,
                balance_diff_change_ratio, missing_days_detected, gap_related_balance_changes, uses_implicit_ind02_commission,
                uses_implicit_merchant_cashback, verification_status, verification_reason, tampering_level, tampering_reason,
                first_txn_date, last_txn_date, risk_score, risk_reasons)
            SELECT NOW(), NOW(), id, acc_prvdr_code, acc_number, run_id, num_rows, 1000000, 900000, 5000, id % 3, 0, 0, 1,
                IF(status = 'FLAGGED', 'Failed', 'Success'), id % 7, (id % 7) / {per_statement}, 0, 0, 0, 0,
                IF(status = 'FLAGGED', 'FAIL', IF(status = 'VERIFIED_WITH_WARNINGS', 'WARNING', 'PASS')), '',
                ELT(1 + id % 8, 'NO_ISSUES','NO_ISSUES','NO_ISSUES','NO_ISSUES','NO_ISSUES','WARNING','CRITICAL','FATAL'), '',
                '2025-09-01', '2025-09-30', IF(status = 'FLAGGED', 40 + id % 60, id % 15),
                IF(status = 'FLAGGED', '[{{"code": "balance_mismatch", "message": "The running balance breaks.", "weight": 40, "page": 2, "row": 14, "field": "balance"}}]', '[]')
            FROM metadata""")
        c.execute(f"""
            INSERT INTO raw_statements (statement_id, acc_prvdr_code, acc_number, run_id, `row_number`, page_number, txn_id, txn_date,
                txn_type, description, from_acc, to_acc, status, direction, amount, fee, balance, raw_date, raw_amount, raw_fee,
                raw_balance, has_quality_issue, extra)
            SELECT m.id, m.acc_prvdr_code, m.acc_number, m.run_id, r.seq, 1 + r.seq DIV 38, CONCAT('1', LPAD(m.id * 1000 + r.seq, 10, '0')),
                '2025-09-01 08:00:00' + INTERVAL (r.seq * 37) MINUTE, 'SEND MONEY', CONCAT('Sent to 70', r.seq, ' JOHN OKELLO'), '', '',
                'Success', IF(r.seq % 3, 'debit', 'credit'), IF(r.seq % 3, -1500, 20000), IF(r.seq % 3, 500, 0), 100000 + r.seq * 100,
                '01-09-25 08:00 AM', '1,500', '500', '100,000', 0, '{{}}'
            FROM metadata m JOIN seq_1_to_{per_statement} r""")
        c.execute(f"""
            INSERT INTO processed_statements (statement_id, acc_prvdr_code, acc_number, run_id, sequence, txn_id, txn_date, txn_type,
                description, status, direction, amount, fee, balance, calculated_running_balance, balance_diff, implicit_charge,
                is_duplicate, is_special, special_type, has_quality_issue)
            SELECT m.id, m.acc_prvdr_code, m.acc_number, m.run_id, r.seq, CONCAT('1', LPAD(m.id * 1000 + r.seq, 10, '0')),
                '2025-09-01 08:00:00' + INTERVAL (r.seq * 37) MINUTE, 'SEND MONEY', CONCAT('Sent to 70', r.seq, ' JOHN OKELLO'), 'Success',
                IF(r.seq % 3, 'debit', 'credit'), IF(r.seq % 3, -1500, 20000), IF(r.seq % 3, 500, 0), 100000 + r.seq * 100,
                100000 + r.seq * 100, 0, 0, r.seq % 25 = 0, 0, '', 0
            FROM metadata m JOIN seq_1_to_{per_statement} r""")
        for table in ("metadata", "summary", "raw_statements", "processed_statements"):
            c.execute(f"ANALYZE TABLE {table}")
            c.fetchall()
    return {"rows": rows, "seconds": time.perf_counter() - started, "first_id": first_id}


def bench_list(client, repeats: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    variants = [
        ("no filter", {}),
        ("provider=UATL", {"provider": "UATL"}),
        ("status=FLAGGED&tampering_level=FATAL", {"status": "FLAGGED", "tampering_level": "FATAL"}),
        ("verification_status=FAIL, page 10", {"verification_status": "FAIL", "page": 10}),
        ("acc_number", {"acc_number": "256700001234"}),
        ("rm=grace", {"rm": "grace"}),
        ("ordering=-change_ratio", {"ordering": "-summary__balance_diff_change_ratio"}),
        ("ordering=-risk_score", {"ordering": "-risk_score"}),
        ("risk_score__gte=40", {"risk_score__gte": 40}),
        ("page_size=500", {"page_size": 500}),
    ]
    print("\nstatements list API (/api/v1/statements/, page_size 50 unless said)")
    for label, params in variants:
        params = {"page_size": 50, **params}
        client.get("/api/v1/statements/", params)  # warm
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            response = client.get("/api/v1/statements/", params)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content[:200]
        with CaptureQueriesContext(connection) as ctx:
            body = client.get("/api/v1/statements/", params).json()
        print(f"  {label:42s} median {statistics.median(times):7.1f} ms  p90 {sorted(times)[int(len(times) * 0.9) - 1]:7.1f} ms"
              f"  count={body['count']:>6}  queries={len(ctx.captured_queries)}")
        __import__('_report').report(f"statements list API: {label.strip()}", f"{statistics.median(times):.1f} ms, {len(ctx.captured_queries)} queries", "< 100 ms median",
            statistics.median(times) < 100)


def bench_download(client, path: str, expected_rows: int | None = None) -> None:
    import gc

    gc.collect()
    start_rss = rss_kib()
    peak = start_rss
    t0 = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200
    lines = 0
    size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
        peak = max(peak, rss_kib())
    seconds = time.perf_counter() - t0
    rows = lines - 1
    if expected_rows is not None:
        assert rows == expected_rows, (rows, expected_rows)
    print(f"  {path:48s} {rows:>9,} rows  {size / 1e6:6.1f} MB  {seconds:5.2f} s  {rows / seconds:>9,.0f} rows/s"
          f"  RSS start {start_rss / 1024:.0f} MiB, peak growth {(peak - start_rss) / 1024:.1f} MiB")
    __import__('_report').report(f"CSV download {path}", f"{rows / seconds:,.0f} rows/s, RSS +{(peak - start_rss) / 1024:.1f} MiB",
        ">= 100,000 rows/s, flat memory", rows / seconds >= 100_000 and (peak - start_rss) < 50 * 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--rows-per-statement", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards")
    args = parser.parse_args()

    mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    mysql_admin(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        setup_django()
        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated {DB_NAME} in {time.perf_counter() - t0:.1f}s")
        filled = populate(args.statements, args.rows_per_statement)
        print(f"inserted {args.statements:,} statements + summaries, {filled['rows']:,} raw and {filled['rows']:,} processed transactions"
              f" in {filled['seconds']:.1f}s")

        from django.contrib.auth.models import Group, User
        from rest_framework.test import APIClient

        from core import roles

        roles.sync_roles()
        user = User.objects.create_user("bench-analyst", password="x")
        user.groups.add(Group.objects.get(name=roles.RISK_ANALYST))
        client = APIClient()
        client.force_authenticate(user)

        bench_list(client, args.repeats)
        print("\nprocessed/raw CSV downloads (streamed, consumed in full)")
        uatl = args.statements * 3 // 5 * args.rows_per_statement
        bench_download(client, "/api/v1/download/processed?acc_prvdr_code=UATL", expected_rows=uatl)
        bench_download(client, "/api/v1/download/processed", expected_rows=args.statements * args.rows_per_statement)
        bench_download(client, "/api/v1/download/processed?status=FLAGGED")
        bench_download(client, "/api/v1/download/raw?acc_prvdr_code=UMTN")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
            print(f"\ndropped {DB_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
