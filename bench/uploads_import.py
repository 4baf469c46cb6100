"""Loan-book import benchmark: rows per second end to end, and peak memory.

    .venv/bin/python bench/uploads_import.py                 # 100,000 rows, 3 runs, median
    .venv/bin/python bench/uploads_import.py --rows 20000 --runs 1
    .venv/bin/python bench/uploads_import.py --million       # adds the 1,000,000-row memory run
    .venv/bin/python bench/uploads_import.py --rows 50000 --runs 3 --baseline-root /tmp/old-checkout
                                                             # paired: the same book with another checkout, run for run

Each run imports a generated messy loan book (repeat customers; each
customer's phone written five ways, 0772 123 456, +256-772-123456,
772123456, 256772123456 and 0772123456; names in other case, spacing and
word order; 5% bad lines of five kinds; a UTF-8 BOM and CRLF line ends) into
an empty MariaDB database through ``manage.py import_loan_book --json`` in a
child process: file stored, counted, every line validated and matched,
customers/debts/upload rows written, counts finished. The child's peak RSS
comes from ``getrusage(RUSAGE_CHILDREN)``. A second import of a changed
book (every amount different: all loans updated) and of the same file again
(all lines skipped) are timed too.

``--baseline-root`` runs the same book with the code of another checkout
(``git worktree add /tmp/old <commit>``) on its own database
(``--baseline-db``), alternating run for run with this checkout, so a
loaded machine slows both alike; the ratio is taken pair by pair.

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


BAD_EVERY = 20  # one line in 20 (5%) is bad


def _phone_as_written(phone: str, n: int) -> str:
    """One customer's number ("0772123456"), written one of five ways depending on the line."""
    local = phone[1:]
    return (f"{phone[:4]} {phone[4:7]} {phone[7:]}", f"+256-{local[:3]}-{local[3:]}", local, f"256{local}", phone)[n % 5]


def _name_as_written(name: str, n: int) -> str:
    """The same name in another case, spacing or word order."""
    kind = (n // 5) % 4
    if kind == 1:
        return name.upper()
    if kind == 2:
        return "  " + name.replace(" ", "   ").lower()
    if kind == 3:
        return " ".join(reversed(name.split()))
    return name


def generate(path: Path, rows: int, *, seed: int = 6, amount_shift: int = 0) -> None:
    """``rows`` messy lines; about 2.5 loans per customer; 5% of lines broken in one of five ways."""
    rng = random.Random(seed)
    customers = max(1, rows * 2 // 5)
    # A BOM (utf-8-sig) and CRLF line ends, as Excel writes them.
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for n in range(rows):
            c = rng.randrange(customers)
            crng = random.Random(c)
            name = f"{crng.choice(FIRST)} {crng.choice(LAST)} {c}"
            phone = f"0{PREFIXES[c % len(PREFIXES)]}{c:07d}"[-10:]
            state, cluster, branch = BRANCHES[c % len(BRANCHES)]
            amount = 50_000 + (n * 7919) % 5_000_000 + amount_shift
            due_day = 1 + n % 28
            row = [_name_as_written(name, n), _phone_as_written(phone, n), f"LN{n:08d}",
                   f"UGX {amount:,}" if n % 7 == 0 else f"{amount:,}",
                   f"2024-{1 + n % 12:02d}-{due_day:02d}" if n % 2 else f"{due_day:02d}/{1 + n % 12:02d}/2024",
                   state, cluster, branch, "0414 123456", "Grace Atim", f"EMP{c % 50:03d}", "0772 000 111",
                   "2024-01-10" if n % 4 == 0 else "", "25,000" if n % 4 == 0 else "", f"{amount // 10:,}"]
            if n % BAD_EVERY == BAD_EVERY - 1:  # 5% bad lines
                kind = (n // BAD_EVERY) % 5
                if kind == 0:
                    row[1] = "12ab"
                elif kind == 1:
                    row[3] = "lots"
                elif kind == 2:
                    row[4] = "31/02/2024"
                elif kind == 3:
                    row[3] = "1.2 million"
                else:
                    row[3] = "12.300"
            writer.writerow(row)


def _env(db_url: str = DB_URL) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING",
           # A million-line book is ~160 MB, above the web upload limit.
           "MAX_UPLOAD_SIZE": str(1 << 30)}
    env.pop("CELERY_BROKER_URL", None)
    env.setdefault("MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "bench_h6_media"))
    return env


def _manage(*args: str, capture: bool = True, root: Path = ROOT, db_url: str = DB_URL) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=root, env=_env(db_url), check=True,
                          capture_output=capture, text=True)


def prepare_database(root: Path = ROOT, db_url: str = DB_URL) -> None:
    import MySQLdb

    parts = urlsplit(db_url)
    conn = MySQLdb.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or "")
    conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{parts.path.strip('/')}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    _manage("migrate", "--noinput", root=root, db_url=db_url)


def drop_database(db_url: str = DB_URL) -> None:
    import MySQLdb

    parts = urlsplit(db_url)
    conn = MySQLdb.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or "")
    conn.cursor().execute(f"DROP DATABASE IF EXISTS `{parts.path.strip('/')}`")
    conn.close()
    shutil.rmtree(_env()["MEDIA_ROOT"], ignore_errors=True)


def empty_tables(root: Path = ROOT, db_url: str = DB_URL) -> None:
    script = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SET FOREIGN_KEY_CHECKS=0')\n"
        "    tables = set(connection.introspection.table_names())\n"
        "    for t in ('upload_row_reviews','upload_rows','file_uploads','historicaldebt','historicalcustomer',\n"
        "              'debts_historicaldebt','customers_historicalcustomer','debts','customers'):\n"
        "        if t in tables:\n"
        "            c.execute('TRUNCATE TABLE ' + t)\n"
        "    c.execute('SET FOREIGN_KEY_CHECKS=1')\n"
    )
    _manage("shell", "-c", script, root=root, db_url=db_url)


def run_import(path: Path, root: Path = ROOT, db_url: str = DB_URL) -> dict:
    """Import in a child process; return counts, seconds and the child's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "manage.py", "import_loan_book", str(path), "--json"], cwd=root, env=_env(db_url),
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
    parser.add_argument("--baseline-root", type=Path, help="another checkout: import the same book with its code, paired run for run")
    parser.add_argument("--baseline-db", default=DB_URL + "_baseline", help="the baseline's database (default: ours + _baseline)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import report

    try:
        _run(args, report)
    finally:
        if not args.keep_db:
            drop_database()
            if args.baseline_root:
                drop_database(args.baseline_db)


def _expected(rows: int, result: dict) -> bool:
    """The import did what the generated book implies: 5% failed, none waiting for review, every line accounted for."""
    bad = rows // BAD_EVERY
    return (result["total"] == rows and result["failed"] == bad and result.get("review", 0) == 0
            and result["success"] + result["skipped"] == rows - bad)


def _paired(args, book: Path, report) -> None:
    """The same book, this checkout then the baseline, run for run."""
    prepare_database(args.baseline_root, args.baseline_db)
    pairs = []
    for run in range(args.runs):
        empty_tables()
        ours = run_import(book)
        empty_tables(args.baseline_root, args.baseline_db)
        base = run_import(book, args.baseline_root, args.baseline_db)
        pairs.append((ours, base))
        print(f"pair {run + 1}: this checkout {ours['rows_per_second']:,} rows/s (failed {ours['failed']}, review {ours.get('review', 0)}), "
              f"baseline {base['rows_per_second']:,} rows/s (failed {base['failed']}); ratio {ours['rows_per_second'] / base['rows_per_second']:.2f}")
    ratio = statistics.median(o["rows_per_second"] / b["rows_per_second"] for o, b in pairs)
    ours_median = statistics.median(o["rows_per_second"] for o, _ in pairs)
    base_median = statistics.median(b["rows_per_second"] for _, b in pairs)
    print(f"MEDIAN paired: this checkout {ours_median:,.0f} rows/s, baseline {base_median:,.0f} rows/s, ratio {ratio:.2f}")
    report(f"loan-book import, {args.rows:,} messy rows, this checkout (paired median of {len(pairs)})", f"{ours_median:,.0f} rows/s",
           ">= 5,000 rows/s", ours_median >= 5000 and all(_expected(args.rows, o) for o, _ in pairs))
    report(f"loan-book import, {args.rows:,} messy rows, baseline {args.baseline_root} (same moments)", f"{base_median:,.0f} rows/s", "-", None)


def _run(args, report) -> None:
    prepare_database()
    if args.baseline_root:
        with tempfile.TemporaryDirectory(prefix="bench_uploads_") as tmp:
            book = Path(tmp) / f"loan_book_{args.rows}.csv"
            generate(book, args.rows)
            print(f"generated {args.rows:,} messy rows ({book.stat().st_size / 1e6:.1f} MB)")
            _paired(args, book, report)
        return
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
