"""Benchmark: ``import_statements --workers 2`` against ``--workers 1``.

    .venv/bin/python bench/statements_ops_import.py [--files 200] [--rows 150]

Generates ``--files`` Airtel statements (format-1 and format-2 PDFs, each
named after a run_id) with ``fixtures/statements/generate.py``, then imports
them twice into a fresh MariaDB database (``bench_stmt_import``, dropped at
the end): once with one worker, once with two. Target (issue 4): two workers
at least 1.7x faster. Needs the statement engine (``statements.services``).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_stmt_import")
from _db import MYSQL_URL, mysql_admin  # noqa: E402  (bench/ is on sys.path when run as a script)


def generate(folder: Path, files: int, rows: int) -> float:
    from fixtures.statements import generate as gen

    started = time.perf_counter()
    for i in range(files):
        rng = random.Random(10_000 + i)
        fmt = 1 if i % 3 else 2
        acc = f"70{rng.randint(1000000, 9999999)}"
        st = gen.make_airtel_ledger(rng, rows, start=datetime(2025, 6, 1, 7) + timedelta(days=i % 30), opening=Decimal(rng.randint(50, 5000) * 1000), acc=acc, fmt=fmt)
        meta = gen.F1_META if fmt == 1 else gen.F2_META
        info = {**meta, "CreationDate": gen.pdf_date(datetime(2025, 10, 1, 9) + timedelta(minutes=i))}
        run_id = f"{0x68e92f3c0000 + i:013x}"
        (folder / f"{run_id}.pdf").write_bytes(gen.write_pdf_table(st, fmt=fmt, info=info))
    return time.perf_counter() - started


def run_import(folder: Path, workers: int) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": f"{MYSQL_URL}/{DB_NAME}", "DEBUG": os.environ.get("DEBUG", "1")}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_statements", str(folder), "--workers", str(workers), "--no-progress"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(result.stdout + result.stderr)
    summary = "\n".join(line for line in result.stdout.splitlines() if not line.startswith(("FAILED", "IMPORTED")))
    return seconds, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=150, help="Transactions per statement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stmt-import-bench-") as tmp:
        folder = Path(tmp)
        seconds = generate(folder, args.files, args.rows)
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"generated {args.files} statements x {args.rows} transactions ({size / 1e6:.1f} MB) in {seconds:.1f}s")
        timings = {}
        try:
            for workers in (1, 2):
                mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
                mysql_admin(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                timings[workers], summary = run_import(folder, workers)
                print(f"\n--workers {workers}: {timings[workers]:.1f}s wall (command start to end)\n{summary}")
        finally:
            mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
        print(f"\nspeed-up with 2 workers: {timings[1] / timings[2]:.2f}x (target >= 1.7x)")
        __import__('_report').report(f"import_statements --workers 2 vs 1 ({args.files} statements)", f"{timings[1] / timings[2]:.2f}x ({timings[1]:.1f} s vs {timings[2]:.1f} s)",
            ">= 1.7x", timings[1] / timings[2] >= 1.7)
    return 0


if __name__ == "__main__":
    sys.exit(main())
