"""Benchmark: populate_customer_details of a 100,000-row export (every column
filled) into MariaDB. Target ≥ 5,000 rows/s.

    DATABASE_URL=mysql://root@127.0.0.1:3306/bench_cd .venv/bin/python bench/customer_details_populate.py [--rows 100000] [--runs 3]

Creates (and drops) its own database ``bench_customer_details``; each run
starts from an empty table and times the management command itself (progress
bar and the closing Statistics block included), then a re-run of the same
file (which must write nothing). The load average is printed before and after:
the machine is shared, so compare medians taken at similar load.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "mysql://root@127.0.0.1:3306/bench_customer_details")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from customer_details_csvgen import write_export
    from details.models import CustomerDetails

    name = connection.settings_dict["NAME"]
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to benchmark into {name!r}: use a database named bench_*")
    connection.settings_dict["NAME"] = None
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.settings_dict["NAME"] = name
    connection.close()
    call_command("migrate", verbosity=0)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        started = time.perf_counter()
        write_export(path, args.rows, seed=1)
        print(f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")
        first, rerun = [], []

        def populate() -> tuple[float, str]:
            out, err = io.StringIO(), io.StringIO()
            started = time.perf_counter()
            call_command("populate_customer_details", "--csv-file", str(path), stdout=out, stderr=err, verbosity=1)
            elapsed = time.perf_counter() - started
            assert "rows/s" in err.getvalue() or "customer details" in err.getvalue(), "no progress shown"
            assert "Statistics" in out.getvalue(), out.getvalue()
            return elapsed, out.getvalue()

        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
        for i in range(args.runs):
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM customer_details")
            elapsed, out = populate()
            first.append(elapsed)
            assert f"inserted {args.rows:,} " in out and "unreadable 0 " in out, out
            elapsed, out = populate()
            rerun.append(elapsed)
            assert f"inserted 0 · updated 0 · unchanged {args.rows:,} " in out, out
            print(f"run {i + 1}: load {first[-1]:.2f}s ({args.rows / first[-1]:,.0f} rows/s), re-run {rerun[-1]:.2f}s "
                  f"({args.rows / rerun[-1]:,.0f} rows/s, 0 written)")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        assert CustomerDetails.objects.count() == args.rows
        med = statistics.median(first)
        print(f"median load: {med:.2f}s = {args.rows / med:,.0f} rows/s (target ≥ 5,000); "
              f"median re-run: {statistics.median(rerun):.2f}s = {args.rows / statistics.median(rerun):,.0f} rows/s")
        __import__('_report').report(f"populate_customer_details, {args.rows:,}-row CSV into MariaDB", f"{args.rows / med:,.0f} rows/s",
            ">= 5,000 rows/s", args.rows / med >= 5000)

    connection.settings_dict["NAME"] = None
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


if __name__ == "__main__":
    main()
