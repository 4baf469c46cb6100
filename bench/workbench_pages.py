"""Benchmark: the workbench pages as a browser gets them (HTML, templates rendered).

Builds the loan book of ``bench/work_queue.py`` (its ``populate``: agents with
5,000 assigned debts each, payments, contacts, promises, one customer with a
2,000-event story) in its own MariaDB database (``bench_workbench_pages``),
then times with Django's test client, logged in as an agent:

  * ``GET /queue/`` — the agent's page of 50 (priority order), each row with
    its contact and promise forms and its call state;
  * ``GET /customers/{id}/`` — the customer with 2,000 events (the page shows
    the newest 300) and the four action forms;
  * ``GET /dashboard/`` — the loan book's first page of 50 customers, sorted
    by days past due, with the state counts and the charts;
  * ``GET /dashboard/?search=0772 123 456`` — a phone typed the local way.

Prints the median of ``--repeats`` requests after a warm-up and the number of
queries of each (it does not grow with the rows).

    .venv/bin/python bench/workbench_pages.py [--debts 100000] [--repeats 15] [--keep] [--reuse]
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
os.environ.setdefault("BENCH_DB_NAME", "bench_workbench_pages")
import work_queue  # noqa: E402  (bench/ is on sys.path; its DB_NAME reads BENCH_DB_NAME at import)

from _db import mysql_admin  # noqa: E402
from _report import report  # noqa: E402

DB_NAME = work_queue.DB_NAME


def timed(client, url: str, params: dict, repeats: int) -> tuple[float, int, int]:
    """Median wall time (ms) of ``repeats`` GETs after a warm-up, the query count, the page's size in bytes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, size = [], 0, 0
    for i in range(repeats + 1):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            answer = client.get(url, params)
            elapsed = time.perf_counter() - t0
        assert answer.status_code == 200, answer.content[:500]
        if i:
            times.append(elapsed)
        queries, size = len(captured.captured_queries), len(answer.content)
    return statistics.median(times) * 1000, queries, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="Measure a database kept by an earlier --keep run")
    args = parser.parse_args()

    if not args.reuse:
        mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
        mysql_admin(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        work_queue.setup_django()
        from django.core.management import call_command
        from django.test import Client
        from django.urls import resolve

        resolve("/queue/")
        if args.reuse:
            data = work_queue.existing(args.debts)
        else:
            t0 = time.perf_counter()
            call_command("migrate", verbosity=0)
            print(f"migrated in {time.perf_counter() - t0:.1f}s")
            data = work_queue.populate(args.debts)
            print(f"generated {args.debts:,} debts, {data['customers']:,} customers, {data['agents']} agents in {data['seconds']:.1f}s")

        client = Client()
        client.force_login(data["agent"])
        star = data["star"]
        phone = star.primary_phone
        local = "0" + phone[4:7] + " " + phone[7:10] + " " + phone[10:]
        pages = (
            ("/queue/ (agent with 5,000 assigned debts, page of 50)", "/queue/", {}),
            ("/customers/{id}/ (2,000 events, newest 300 shown)", f"/customers/{star.pk}/", {}),
            (f"/dashboard/ sorted by DPD ({data['customers']:,} customers)", "/dashboard/", {"sort": "-dpd"}),
            (f"/dashboard/?search= phone typed {local!r}", "/dashboard/", {"search": local}),
        )
        for label, url, params in pages:
            ms, queries, size = timed(client, url, params, args.repeats)
            print(f"GET {label}: median {ms:.1f} ms, {queries} queries, {size / 1024:.0f} KiB")
            report(f"GET {label}", f"{ms:.1f} ms", "-", None)
    finally:
        if not args.keep and not args.reuse:
            from django.db import connections

            connections.close_all()
            mysql_admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
            print(f"dropped {DB_NAME}")


if __name__ == "__main__":
    main()
