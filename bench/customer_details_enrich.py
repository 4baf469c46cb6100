"""Benchmark: ``enrich_statements`` for 10,000 statements against a real core
database (FLOW_API), with at most 50 queries to it.

    .venv/bin/python bench/customer_details_enrich.py [--statements 10000] [--runs 3]

Creates (and drops) two MariaDB databases of its own: ``bench_customer_details_enrich``
(ours, migrated) and ``bench_customer_details_enrich_flow_api`` (the core
lending database: ``fixtures/flow_api/schema.sql`` plus generated rows, loaded
through a raw MySQLdb connection because every ``flow_api`` connection refuses
non-read SQL). The core database is configured exactly as in production,
through ``FLOW_API_DATABASE_URL``, so the connection is read-only and guarded.

The run_ids cover every entity-chain path: request → lead → borrower,
request → reassessment_result → borrower, request → customer_statement →
lead / reassessment_result → borrower, a lead without a cust_id, a cust_id
without a borrower, RMs missing from ``persons``, and run_ids the core does
not know. Every statement sent to the core database is counted (an
``execute_wrapper`` installed before the connection opens, so session set-up
counts too), per run: wall time, statements/s, queries.

Each run starts from no customer details (the core is asked for every
run_id); after it, a re-run finds everything locally (no core query) and
``--missing-only`` has nothing left to do.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_DB = "bench_customer_details_enrich"
os.environ.setdefault("DATABASE_URL", f"mysql://root@127.0.0.1:3306/{DEFAULT_DB}")
os.environ.setdefault("FLOW_API_DATABASE_URL", f"mysql://root@127.0.0.1:3306/{DEFAULT_DB}_flow_api")

from fixtures.flow_api.loader import raw_connection, sql_statements  # noqa: E402

MAX_CORE_QUERIES = 50
PATHS = ["direct-lead", "direct-reassess", "cs-lead", "cs-reassess", "no-cust", "no-borrower", "missing-rm", "unknown"]
RMS = [(9001, "Ebran", None, "Bright"), (9002, "Grace", "Nakato", "Akello"), (9003, "Peter", None, "Okello")]
NAMES = ["Mukasa", "Okoth", "Namuli", "Wasswa", "Apio", "Kato", "Nabirye", "Achieng", "Ssemanda", "Auma"]


def core_rows(count: int, seed: int = 1) -> tuple[dict[str, list[tuple]], list[str]]:
    """Rows for the core tables and the run_ids of ``count`` statements (one path each, in turn)."""
    rng = random.Random(seed)
    tables: dict[str, list[tuple]] = {k: [] for k in ("requests", "statements", "leads", "reassessments", "borrowers")}
    run_ids = []

    def dt() -> str:
        return f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} {rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}:00"

    for i in range(count):
        path = PATHS[i % len(PATHS)]
        run_id = f"bench-{path}-{i:06d}"
        run_ids.append(run_id)
        if path == "unknown":
            continue
        phone = f"2567{rng.choice('045678')}{rng.randrange(0, 10**7):07d}"  # valid Ugandan mobile prefixes
        name = f"{rng.choice(NAMES)} Traders {i}"
        cust_id = "" if path == "no-cust" else f"UFLW-{phone[3:]}-{i}"
        creator = 8888 if path == "missing-rm" else rng.choice(RMS)[0]
        final = "reassessment_result" if "reassess" in path else "lead"
        final_id = 100000 + i
        if path.startswith("cs-"):
            entity, entity_id = "customer_statement", 300000 + i
            tables["statements"].append(
                (entity_id, final, final_id, name.upper(), f"DST-{i % 97:03d}", "owned", "completed", "eligible",
                 f"{rng.uniform(300, 900):.2f}", f"{rng.randrange(5, 50) * 100000}.00", None, dt())
            )
        else:
            entity, entity_id = final, final_id
        tables["requests"].append(
            (i + 1, run_id, phone, None, rng.choice(["UATL", "UMTN"]), "success", f"UATL/{run_id}", "score_calc_success",
             dt(), entity, entity_id, creator)
        )
        if final == "lead":
            tables["leads"].append(
                (final_id, cust_id or None, "0" + phone[3:], name, "Sarah", rng.choice(NAMES), f"P{i:07d}", f"CM{i:012d}ABCD",
                 "Kawempe", "Kampala North", "onboarded", "complete", "scored", "new_customer", dt(), dt(), dt())
            )
        else:
            tables["reassessments"].append((final_id, cust_id, f"{rng.randrange(5, 50) * 100000}.00", "completed", "periodic", dt()))
        if cust_id and path != "no-borrower":
            rm = 7777 if path == "missing-rm" else rng.choice(RMS)[0]
            tables["borrowers"].append(
                (500000 + i, cust_id, name, "2023-05-01", rng.randrange(0, 40), rng.randrange(0, 5),
                 f"{rng.randrange(5, 50) * 100000}.00", f"{rng.randrange(5, 50) * 100000}.00", dt(), "completed", "active",
                 "complete", "enabled", "enabled", rng.choice(["low_risk", "medium_risk", "high_risk"]), rm, rm)
            )
    return tables, run_ids


INSERTS = {
    "requests": "INSERT INTO partner_acc_stmt_requests (id, flow_req_id, acc_number, alt_acc_num, acc_prvdr_code, status, "
                "object_key, lambda_status, created_at, entity, entity_id, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "statements": "INSERT INTO customer_statements (id, entity, entity_id, holder_name, distributor_code, acc_ownership, status, "
                  "result, score, `limit`, prev_limit, assessment_date) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "leads": "INSERT INTO leads (id, cust_id, mobile_num, biz_name, first_name, last_name, id_proof_num, national_id, location, "
             "territory, status, profile_status, score_status, type, lead_date, assessment_date, onboarded_date) "
             "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "reassessments": "INSERT INTO reassessment_results (id, cust_id, prev_limit, status, type, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
    "borrowers": "INSERT INTO borrowers (id, cust_id, biz_name, reg_date, tot_loans, tot_default_loans, crnt_fa_limit, prev_fa_limit, "
                 "last_assessment_date, kyc_status, activity_status, profile_status, fa_status, status, risk_category, "
                 "reg_flow_rel_mgr_id, flow_rel_mgr_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
}


def load_core(settings_dict: dict, name: str, tables: dict[str, list[tuple]]) -> None:
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to load the core fixtures into {name!r}: use a database named bench_*")
    conn = raw_connection(settings_dict)
    try:
        cursor = conn.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cursor.execute(f"USE `{name}`")
        for statement in sql_statements(ROOT / "fixtures" / "flow_api" / "schema.sql"):
            cursor.execute(statement)
        cursor.executemany("INSERT INTO persons (id, first_name, middle_name, last_name) VALUES (%s, %s, %s, %s)", RMS)
        for table, rows in tables.items():
            for start in range(0, len(rows), 2000):
                cursor.executemany(INSERTS[table], rows[start : start + 2000])
    finally:
        conn.close()


def drop(settings_dict: dict, name: str) -> None:
    conn = raw_connection(settings_dict)
    try:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


class Counter:
    """An execute_wrapper counting every statement sent on a connection."""

    def __init__(self):
        self.count = 0
        self.selects = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.selects += sql.lstrip().upper().startswith("SELECT")
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    from core.routers import FLOW_API_ALIAS
    from customers.models import Customer, RelationshipManager
    from details.models import CustomerDetails
    from statements.models import Statement

    name = connection.settings_dict["NAME"]
    core = connections.settings[FLOW_API_ALIAS]
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to benchmark into {name!r}: use a database named bench_*")
    settings.MAPPER_CSV_PATH = str(ROOT / "fixtures" / "mapper.csv")  # knows none of the generated run_ids

    started = time.perf_counter()
    tables, run_ids = core_rows(args.statements)
    load_core(core, core["NAME"], tables)
    drop(connection.settings_dict, name)
    conn = raw_connection(connection.settings_dict)
    conn.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    call_command("migrate", verbosity=0)
    print(f"core database {core['NAME']}: {len(tables['requests']):,} requests, {len(tables['statements']):,} customer statements, "
          f"{len(tables['leads']):,} leads, {len(tables['reassessments']):,} reassessments, {len(tables['borrowers']):,} borrowers "
          f"({time.perf_counter() - started:.1f}s to build)")

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    counter = Counter()
    core_connection = connections[FLOW_API_ALIAS]
    core_connection.close()
    walls, counts = [], []
    try:
        with core_connection.execute_wrapper(counter):
            for run in range(1, args.runs + 1):
                Statement.objects.all().delete()
                CustomerDetails.objects.all().delete()
                Customer.objects.all().delete()
                RelationshipManager.objects.all().delete()
                Statement.objects.bulk_create(
                    [Statement(run_id=r, acc_prvdr_code="UATL", file_name=f"{r}.pdf") for r in run_ids], batch_size=2000
                )
                core_connection.close()  # each run opens its own core connection (session set-up counted)
                counter.count = counter.selects = 0
                out = io.StringIO()
                started = time.perf_counter()
                call_command("enrich_statements", stdout=out, stderr=io.StringIO(), verbosity=0)
                wall = time.perf_counter() - started
                queries, selects = counter.count, counter.selects
                walls.append(wall)
                counts.append(queries)
                enriched = Statement.objects.exclude(enriched_at=None).count()
                with_cust = Statement.objects.exclude(cust_id="").count()
                print(f"run {run}: {args.statements:,} statements in {wall:.2f}s ({args.statements / wall:,.0f} statements/s); "
                      f"{queries} queries to the core database ({selects} SELECTs); {enriched:,} enriched, {with_cust:,} with cust_id")
                print(f"  {out.getvalue().strip()}")
                assert queries <= MAX_CORE_QUERIES, f"{queries} queries to the core database (at most {MAX_CORE_QUERIES})"

                counter.count = 0
                started = time.perf_counter()
                call_command("enrich_statements", stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
                again = time.perf_counter() - started
                again_queries = counter.count
                counter.count = 0
                call_command("enrich_statements", "--missing-only", stdout=(missing := io.StringIO()), stderr=io.StringIO(), verbosity=0)
                print(f"  re-run: {again:.2f}s, {again_queries} core queries; --missing-only: {counter.count} core queries "
                      f"({missing.getvalue().strip().split(':')[0]})")
        per_path = {}
        for statement in Statement.objects.select_related("customer_details").only(
            "run_id", "cust_id", "customer_id", "customer_details__borrower_id", "customer_details__final_entity_type"
        ):
            path = statement.run_id.split("-", 1)[1].rsplit("-", 1)[0]
            d = statement.customer_details
            per_path.setdefault(path, set()).add(
                (d.final_entity_type if d else "-", bool(statement.cust_id), bool(d and d.borrower_id), bool(statement.customer_id))
            )
        print("paths (final entity, has cust_id, has borrower, linked customer):")
        for path in PATHS:
            print(f"  {path:16} {sorted(per_path.get(path, {('no details', False, False, False)}))}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        med = statistics.median(walls)
        print(f"median: {med:.2f}s = {args.statements / med:,.0f} statements/s; core queries per run: {counts} "
              f"(at most {MAX_CORE_QUERIES})")
        __import__('_report').report(f"enrich_statements, {args.statements:,} statements vs the core database",
            f"{args.statements / med:,.0f} statements/s, {max(counts)} core queries", f"<= {MAX_CORE_QUERIES} core queries",
            max(counts) <= MAX_CORE_QUERIES)
    finally:
        connections[FLOW_API_ALIAS].close()
        connection.close()
        drop(core, core["NAME"])
        drop(connection.settings_dict, name)


if __name__ == "__main__":
    main()
