"""Loan-book import benchmark: rows per second end to end, and peak memory.

    .venv/bin/python bench/uploads_import.py                 # 100,000 rows, 3 runs, median
    .venv/bin/python bench/uploads_import.py --rows 20000 --runs 1
    .venv/bin/python bench/uploads_import.py --million       # adds the 1,000,000-row memory run

Each run imports a generated loan book (repeat customers, 1% bad rows) into
an empty MariaDB database through ``manage.py import_loan_book --json`` in a
child process: file stored, counted, every line validated and matched,
customers/debts/upload rows written, counts finished. The child's peak RSS
comes from ``getrusage(RUSAGE_CHILDREN)``. A second import of a changed
book (every amount different: all loans updated) and of the same file again
(all lines skipped) are timed too.

Environment: BENCH_DATABASE_URL (default mysql://root@127.0.0.1:3306/bench_h6),
the database is created and migrated if needed, emptied before each run, and
dropped at the end (``--keep-db`` keeps it). Headline figures are printed as
``BENCH`` lines for bench/run_all.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/bench_h6")
HEADER = ["name", "phone", "loan_id", "amount", "due_date", "state", "Cluster", "Branch", "Branch Contact Number",
          "Employee", "Employee ID", "Employee Contact Number", "Last Paid Date", "Last Paid Amount", "Due Amount"]
FIRST = ["Sarah", "David", "Grace", "Peter", "Aisha", "Brian", "Esther", "Francis", "Irene", "Moses", "Ruth", "Joseph",
         "Mary", "Paul", "Agnes", "Isaac", "Janet", "Samuel", "Harriet", "Ronald"]
LAST = ["Nakato", "Okello", "Atim", "Ssemanda", "Namubiru", "Mugisha", "Auma", "Kato", "Nansubuga", "Opio", "Akello",
        "Wasswa", "Achieng", "Ouma", "Nabirye", "Lule", "Mukasa", "Tumusiime", "Byaruhanga", "Kiggundu"]
PREFIXES = ["70", "71", "72", "74", "75", "76", "77", "78"]
BRANCHES = [("Central", "Kampala Cluster", "Kampala Main"), ("Central", "Kampala Cluster", "Ntinda"),
            ("Western", "Mbarara Cluster", "Mbarara"), ("Northern", "Gulu Cluster", "Gulu"), ("Eastern", "Jinja Cluster", "Jinja")]


def generate(path: Path, rows: int, *, seed: int = 6, amount_shift: int = 0) -> None:
    """``rows`` lines; about 2.5 loans per customer; 1% of lines broken in one of three ways."""
    rng = random.Random(seed)
    customers = max(1, rows * 2 // 5)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            c = rng.randrange(customers)
            crng = random.Random(c)
            name = f"{crng.choice(FIRST)} {crng.choice(LAST)} {c}"
            phone = f"0{PREFIXES[c % len(PREFIXES)]}{c:07d}"[-10:]
            state, cluster, branch = BRANCHES[c % len(BRANCHES)]
            amount = 50_000 + (n * 7919) % 5_000_000 + amount_shift
            due_day = 1 + n % 28
            # One lender's export writes a customer's phone the same way on
            # every line; customers differ (local vs international form).
            row = [name, phone if c % 3 else f"+256 {phone[1:4]} {phone[4:]}", f"LN{n:08d}", f"{amount:,}",
                   f"2024-{1 + n % 12:02d}-{due_day:02d}" if n % 2 else f"{due_day:02d}/{1 + n % 12:02d}/2024",
                   state, cluster, branch, "0414 123456", "Grace Atim", f"EMP{c % 50:03d}", "0772 000 111",
                   "2024-01-10" if n % 4 == 0 else "", "25,000" if n % 4 == 0 else "", f"{amount // 10:,}"]
            if n % 100 == 99:  # 1% bad lines
                kind = (n // 100) % 3
                if kind == 0:
                    row[1] = "12ab"
                elif kind == 1:
                    row[3] = "lots"
                else:
                    row[4] = "31/02/2024"
            writer.writerow(row)


def _env() -> dict:
    env = {**os.environ, "DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING",
           # A million-line book is ~160 MB, above the web upload limit.
           "MAX_UPLOAD_SIZE": str(1 << 30)}
    env.pop("CELERY_BROKER_URL", None)
    env.setdefault("MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "bench_h6_media"))
    return env


def _manage(*args: str, capture: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(), check=True,
                          capture_output=capture, text=True)


def prepare_database() -> None:
    import MySQLdb

    parts = urlsplit(DB_URL)
    conn = MySQLdb.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or "")
    conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{parts.path.strip('/')}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    _manage("migrate", "--noinput")


def drop_database() -> None:
    import MySQLdb

    parts = urlsplit(DB_URL)
    conn = MySQLdb.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or "")
    conn.cursor().execute(f"DROP DATABASE IF EXISTS `{parts.path.strip('/')}`")
    conn.close()
    shutil.rmtree(_env()["MEDIA_ROOT"], ignore_errors=True)


def empty_tables() -> None:
    script = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SET FOREIGN_KEY_CHECKS=0')\n"
        "    for t in ('upload_rows','file_uploads','debts','customers'):\n"
        "        c.execute('TRUNCATE TABLE ' + t)\n"
        "    c.execute('SET FOREIGN_KEY_CHECKS=1')\n"
    )
    _manage("shell", "-c", script)


def run_import(path: Path) -> dict:
    """Import in a child process; return counts, seconds and the child's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "manage.py", "import_loan_book", str(path), "--json"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the largest child so far; runs only grow, so a
    # smaller value than before means this child was not the largest.
    counts.update(seconds=round(seconds, 2), rows_per_second=round(counts["total"] / seconds), peak_rss_mb=round(max(peak_kb, before) / 1024, 1))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="100k-row runs (0: only the --million run)")
    parser.add_argument("--million", action="store_true", help="also import 1,000,000 rows once and report peak memory")
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import report

    try:
        _run(args, report)
    finally:
        if not args.keep_db:
            drop_database()


def _expected(rows: int, result: dict) -> bool:
    """The import did what the generated book implies: 1% failed, every line accounted for."""
    bad = rows // 100
    return result["total"] == rows and result["failed"] == bad and result["success"] + result["skipped"] == rows - bad


def _run(args, report) -> None:
    prepare_database()
    with tempfile.TemporaryDirectory(prefix="bench_uploads_") as tmp:
        book = Path(tmp) / f"loan_book_{args.rows}.csv"
        changed = Path(tmp) / f"loan_book_{args.rows}_changed.csv"
        generate(book, args.rows)
        generate(changed, args.rows, amount_shift=1)
        print(f"generated {args.rows:,} rows ({book.stat().st_size / 1e6:.1f} MB)")
        fresh, updates, repeats = [], [], []
        for run in range(args.runs):
            empty_tables()
            result = run_import(book)
            fresh.append(result)
            print(f"run {run + 1} fresh import: {json.dumps(result)}")
            result = run_import(changed)
            updates.append(result)
            print(f"run {run + 1} changed book (updates): {json.dumps(result)}")
            result = run_import(book)
            repeats.append(result)
            print(f"run {run + 1} same file again (skips): {json.dumps(result)}")
        for label, results in (("fresh import", fresh), ("changed book", updates), ("same file again", repeats)):
            if not results:
                continue
            median = statistics.median(r["rows_per_second"] for r in results)
            print(f"MEDIAN {label}: {median:,.0f} rows/s, {statistics.median(r['seconds'] for r in results):.1f} s for {args.rows:,} rows")
            complete = all(_expected(args.rows, r) for r in results)
            if label == "fresh import":
                report(f"loan-book import, {args.rows:,} rows end to end (median of {len(results)})", f"{median:,.0f} rows/s",
                       ">= 5,000 rows/s", median >= 5000 and complete)
            else:
                report(f"loan-book import, {label} (median of {len(results)})", f"{median:,.0f} rows/s", "-", None if complete else False)
        if args.million:
            big = Path(tmp) / "loan_book_1000000.csv"
            generate(big, 1_000_000, seed=7)
            print(f"generated 1,000,000 rows ({big.stat().st_size / 1e6:.1f} MB)")
            empty_tables()
            result = run_import(big)
            print(f"1M fresh import: {json.dumps(result)}")
            print(f"MILLION: {result['rows_per_second']:,} rows/s, peak RSS {result['peak_rss_mb']} MB")
            report("loan-book import, 1,000,000 rows: peak RSS of the importing process", f"{result['peak_rss_mb']} MB", "< 300 MB",
                   result["peak_rss_mb"] < 300 and _expected(1_000_000, result))
            report("loan-book import, 1,000,000 rows", f"{result['rows_per_second']:,} rows/s", "-", None)


if __name__ == "__main__":
    main()
