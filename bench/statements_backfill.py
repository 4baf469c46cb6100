"""Benchmark: ``backfill_counterparties`` on MariaDB (issue 18).

    .venv/bin/python bench/statements_backfill.py [--statements 5000] [--rows-per-statement 40] [--batch-size 2000]

Creates its own database (``bench_stmt_backfill`` on MYSQL_URL), migrates
it, fills it with SQL ``INSERT ... SELECT`` (statements with summaries and
processed transactions stored as before issue 18: no counterparty, no top
payer / payee; descriptions ``Sent to 70… JOHN OKELLO``; one row in five with
no counterparty to find), runs the backfill twice and drops the database.
Prints rows/s of the first run and the time of the second (idempotent: it
must write nothing).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_stmt_backfill")
from _db import MYSQL_URL, mysql_admin  # noqa: E402  (bench/ is on sys.path when run as a script)


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{MYSQL_URL}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False


def populate(statements: int, per_statement: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SET SESSION unique_checks=0, foreign_key_checks=0")
        c.execute(f"""
            INSERT INTO metadata (created_at, updated_at, run_id, acc_prvdr_code, acc_number, alt_acc_num, format, file_name, file,
                file_sha256, customer_name, mobile_number, email_address, statement_period, header_fields, pdf_title, pdf_author,
                pdf_creator, pdf_producer, pdf_created_raw, pdf_modified_raw, status, failure_reason, num_rows, cust_id, rm_name)
            SELECT NOW(), NOW(), LPAD(HEX(seq), 13, '0'), 'UATL', CAST(700000000 + seq AS CHAR), '', 'uatl_pdf_1', CONCAT('s', seq, '.pdf'),
                '', SHA2(seq, 256), '', '', '', '', '{{}}', '', '', '', '', '', '', 'VERIFIED', '', {per_statement}, '', ''
            FROM seq_1_to_{statements}""")
        c.execute("""
            INSERT INTO summary (created_at, updated_at, statement_id, acc_prvdr_code, acc_number, run_id, num_rows, credits, debits, fees,
                duplicate_count, quality_issues_count, header_row_manipulation_count, special_txn_count, balance_match, balance_diff_changes,
                balance_diff_change_ratio, missing_days_detected, gap_related_balance_changes, uses_implicit_ind02_commission,
                uses_implicit_merchant_cashback, verification_status, verification_reason, tampering_level, tampering_reason, risk_score, risk_reasons)
            SELECT NOW(), NOW(), id, acc_prvdr_code, acc_number, run_id, num_rows, 1000000, 900000, 5000, 0, 0, 0, 0, 'Success', 0, 0, 0, 0, 0, 0,
                'PASS', '', 'NO_ISSUES', '', 0, '[]'
            FROM metadata""")
        # Processed rows as stored before issue 18: counterparty columns left to their default ''.
        c.execute(f"""
            INSERT INTO processed_statements (statement_id, acc_prvdr_code, acc_number, run_id, sequence, txn_id, txn_date, txn_type,
                description, status, direction, amount, fee, balance, calculated_running_balance, balance_diff, implicit_charge,
                is_duplicate, is_special, special_type, has_quality_issue)
            SELECT m.id, m.acc_prvdr_code, m.acc_number, m.run_id, r.seq, CONCAT('1', LPAD(m.id * 1000 + r.seq, 10, '0')),
                '2025-09-01 08:00:00' + INTERVAL (r.seq * 37) MINUTE, 'SEND MONEY',
                IF(r.seq % 5 = 0, 'Airtime purchase', CONCAT(IF(r.seq % 3, 'Sent to 70', 'Received from 70'), 1000000 + r.seq % 7, ' JOHN OKELLO')),
                'Success', IF(r.seq % 3, 'debit', 'credit'), IF(r.seq % 3, -1500, 20000), 0, 100000, 100000, 0, 0, 0, 0, '', 0
            FROM metadata m JOIN seq_1_to_{per_statement} r""")
        for table in ("metadata", "summary", "processed_statements"):
            c.execute(f"ANALYZE TABLE {table}")
            c.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--rows-per-statement", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards")
    args = parser.parse_args()
    mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    mysql_admin(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        populate(args.statements, args.rows_per_statement)
        rows = args.statements * args.rows_per_statement
        print(f"inserted {args.statements:,} statements and {rows:,} processed rows without counterparties; load {os.getloadavg()[0]:.1f}")

        from statements.models import ProcessedTransaction, StatementSummary
        from statements.services import counterparties_backfill

        t0 = time.perf_counter()
        first = counterparties_backfill(batch_size=args.batch_size)
        seconds = time.perf_counter() - t0
        print(f"first run: {first}  {seconds:.2f} s")
        t0 = time.perf_counter()
        second = counterparties_backfill(batch_size=args.batch_size)
        again = time.perf_counter() - t0
        print(f"second run: {second}  {again:.2f} s")
        filled = ProcessedTransaction.objects.exclude(counterparty_number="").count()
        tops = StatementSummary.objects.exclude(top_payer_number="").exclude(top_payee_number="").count()
        ok = filled == rows - rows // 5 and tops == args.statements and second.rows_filled == 0 and second.statements_updated == 0
        __import__("_report").report(
            f"backfill_counterparties ({rows:,} processed rows, {args.statements:,} statements)",
            f"{rows / seconds:,.0f} rows/s ({seconds:.1f} s); again {again:.1f} s, wrote nothing: {second.rows_filled == 0}",
            "every row and summary filled; a second run writes nothing", ok,
        )
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
