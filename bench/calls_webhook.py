"""Benchmark: the Exotel webhook under a bounded loopback load.

Creates its own database (``bench_calls``), migrates it, creates placed calls
(status ``initiated``, a CallSid each), starts gunicorn on 127.0.0.1 against
it, and then:

1. **Throughput**: client processes (keep-alive-less, like Exotel) POST an
   ``answered`` and a ``terminal`` callback for every call — the real mix:
   the terminal one also writes the CommunicationLog and moves the
   customer's last contact. Bounded by ``--callbacks`` and ``--seconds``;
   repeated ``--runs`` times on fresh calls; the median is reported.
2. **Races**: for ``--race-calls`` calls, 10 callbacks for the same call
   (5 × answered, 5 × terminal, duplicates included) are released at once
   by a barrier; afterwards every call must have exactly one row per status
   and one CommunicationLog.
3. **No loss**: after the throughput runs every call must hold exactly its
   two statuses (plus ``initiated``) and be ``completed``.

    .venv/bin/python bench/calls_webhook.py [--callbacks 4000] [--runs 3] [--workers 4] [--clients 4] [--threads 8] [--keep]

Target: ≥ 300 callbacks/s, zero lost or duplicated status rows. Loopback only.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306")
DB_NAME = "bench_calls"
HOST = "127.0.0.1"
TOKEN = "bench-" + secrets.token_hex(8)
PATH = f"/api/v1/calls/webhooks/exotel/?token={TOKEN}"


def _admin_cursor():
    from urllib.parse import urlsplit

    import MySQLdb

    url = urlsplit(SERVER)
    return MySQLdb.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                           passwd=url.password or "").cursor()


def _env() -> dict:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "EXOTEL_WEBHOOK_TOKEN": TOKEN,
        "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",
    }


def _bodies(sids: list[str]) -> list[bytes]:
    answered, terminal = [], []
    for i, sid in enumerate(sids):
        answered.append(urlencode({"CallSid": sid, "Status": "in-progress", "EventType": "answered",
                                   "DateUpdated": "2026-11-22 10:00:20", "CustomField": ""}).encode())
        terminal.append(urlencode({
            "CallSid": sid, "Status": "completed", "EventType": "terminal", "DateUpdated": "2026-11-22 10:02:00",
            "ConversationDuration": str(30 + i % 90), "RecordingUrl": f"https://recordings.exotel.com/{sid}.mp3",
            "Direction": "outbound-api", "Legs[0][OnCallDuration]": "95", "Legs[0][Status]": "completed",
        }).encode())
    # Every call's answered callback goes before its terminal one, but calls
    # interleave: all answered first, then all terminal.
    return answered + terminal


def _post(port: int, body: bytes, path: str = PATH) -> tuple[int, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - t0


def _client(port: int, bodies: list[bytes], threads: int, deadline: float, out, path: str = PATH) -> None:
    """One client process: ``threads`` threads drain its share of bodies."""
    lock = threading.Lock()
    queue = list(reversed(bodies))
    results: list[tuple[int, float]] = []

    def work():
        while time.time() < deadline:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            results.append(_post(port, body, path))

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(results)


def _load(port: int, bodies: list[bytes], clients: int, threads: int, seconds: float, path: str = PATH) -> dict:
    out = mp.Queue()
    # Answered callbacks first, then terminal ones: split each half across
    # the clients so a call's two callbacks go through in that order overall.
    half = len(bodies) // 2
    shares = [[] for _ in range(clients)]
    for part in (bodies[:half], bodies[half:]):
        for i, body in enumerate(part):
            shares[i % clients].append(body)
    deadline = time.time() + seconds
    t0 = time.perf_counter()
    procs = [mp.Process(target=_client, args=(port, share, threads, deadline, out, path)) for share in shares]
    for p in procs:
        p.start()
    results = [r for _ in procs for r in out.get()]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    latencies = sorted(r[1] for r in results)
    codes: dict[int, int] = {}
    for code, _ in results:
        codes[code] = codes.get(code, 0) + 1
    return {
        "sent": len(results),
        "seconds": elapsed,
        "per_second": len(results) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
        "codes": codes,
    }


def _race(port: int, sids: list[str]) -> list[int]:
    codes: list[int] = []
    for sid in sids:
        bodies = [urlencode({"CallSid": sid, "Status": "in-progress", "EventType": "answered", "DateUpdated": "2026-11-22 10:00:20"}).encode()] * 5 + [
            urlencode({"CallSid": sid, "Status": "completed", "EventType": "terminal", "DateUpdated": "2026-11-22 10:02:00",
                       "ConversationDuration": "44"}).encode()] * 5
        barrier = threading.Barrier(len(bodies))

        def send(body, barrier):
            barrier.wait()
            codes.append(_post(port, body)[0])

        ts = [threading.Thread(target=send, args=(b, barrier)) for b in bodies]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return codes


def _make_calls(n: int, tag: str) -> list[str]:
    from decimal import Decimal

    from django.utils import timezone

    from calls.models import CallSession
    from customers.models import Customer
    from debts.models import Debt

    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(full_name=f"Bench {tag} {i}", primary_phone=f"+25670{i:07d}", first_uploaded_at=now) for i in range(n)]
    )
    debts = Debt.objects.bulk_create(
        [Debt(customer=c, loan_id=f"B{tag}{i}", original_amount=Decimal("1000"), current_balance=Decimal("800"),
              branch=f"Branch {i % 7}") for i, c in enumerate(customers)]
    )
    sids = [f"{tag}{i:08d}{secrets.token_hex(6)}" for i in range(n)]
    CallSession.objects.bulk_create(
        [CallSession(customer=c, debt=d, provider="exotel", to_number=c.primary_phone, status="initiated", call_sid=sid,
                     initiated_at=now) for c, d, sid in zip(customers, debts, sids, strict=True)]
    )
    return sids


def _check(sids: list[str]) -> dict:
    from django.db.models import Count

    from calls.models import CallSession, CallStatusUpdate
    from debts.models import CommunicationLog

    sessions = CallSession.objects.filter(call_sid__in=sids)
    per_status = dict(CallStatusUpdate.objects.filter(call_session__in=sessions).values_list("status").annotate(n=Count("id")))
    return {
        "calls": len(sids),
        "completed": sessions.filter(status="completed").count(),
        "status_rows": per_status,
        "communication_logs": CommunicationLog.objects.filter(call_session__in=sessions).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=4000, help="Callbacks per run (two per call)")
    parser.add_argument("--seconds", type=float, default=60.0, help="Longest a run may take")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-threads", type=int, default=1, help="gunicorn threads per worker (gthread when > 1)")
    parser.add_argument("--clients", type=int, default=3, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per client process")
    parser.add_argument("--race-calls", type=int, default=20)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards")
    args = parser.parse_args()

    cur = _admin_cursor()
    cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
    cur.execute(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    env = _env()
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL", "DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "EXOTEL_WEBHOOK_TOKEN")})
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        t0 = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.monotonic() - t0:.1f}s")

        gunicorn = [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application", "-b", f"{HOST}:{args.port}",
                    "-w", str(args.workers), "--log-level", "warning", "--backlog", "2048"]
        if args.worker_threads > 1:
            gunicorn += ["-k", "gthread", "--threads", str(args.worker_threads)]
        server_log = open(f"/tmp/{DB_NAME}_gunicorn.log", "w")
        server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, start_new_session=True, stdout=server_log, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection(HOST, args.port, timeout=1)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        print(f"gunicorn: {args.workers} worker(s) × {args.worker_threads} thread(s) on {HOST}:{args.port}; "
              f"load: {args.clients} client process(es) × {args.threads} threads")

        # The floor this box gives any request: the same endpoint refusing a
        # bad token (no database work), through the same server and clients.
        baseline = _load(args.port, _bodies([f"x{i}" for i in range(500)]), args.clients, args.threads, args.seconds,
                         path=PATH.replace(TOKEN, "wrong"))
        print(f"baseline (403 bad token, no DB): {baseline['per_second']:.0f} requests/s, p50 {baseline['p50_ms']:.1f} ms, HTTP {baseline['codes']}")
        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)")

        runs, all_sids = [], []
        for run in range(args.runs):
            sids = _make_calls(args.callbacks // 2, f"r{run}")
            all_sids.append(sids)
            result = _load(args.port, _bodies(sids), args.clients, args.threads, args.seconds)
            runs.append(result)
            print(f"run {run + 1}: {result['sent']} callbacks in {result['seconds']:.2f}s = {result['per_second']:.0f}/s, "
                  f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, HTTP {result['codes']}")

        race_sids = _make_calls(args.race_calls, "race")
        race_codes = _race(args.port, race_sids)

        print()
        print(f"median throughput: {statistics.median(r['per_second'] for r in runs):.0f} callbacks/s "
              f"(p50 latency {statistics.median(r['p50_ms'] for r in runs):.1f} ms, p95 {statistics.median(r['p95_ms'] for r in runs):.1f} ms)")
        ok = True
        for run, sids in enumerate(all_sids):
            check = _check(sids)
            sent = runs[run]["sent"]
            expected = {"in-progress": len(sids), "completed": len(sids)} if sent == 2 * len(sids) else None
            good = expected is not None and check["status_rows"] == expected and check["completed"] == len(sids) and check["communication_logs"] == len(sids)
            ok &= good
            print(f"run {run + 1} check: {json.dumps(check)} -> {'OK' if good else 'MISMATCH'}")
        check = _check(race_sids)
        good = (check["status_rows"] == {"in-progress": len(race_sids), "completed": len(race_sids)}
                and check["completed"] == len(race_sids) and check["communication_logs"] == len(race_sids)
                and set(race_codes) == {200})
        ok &= good
        print(f"race: {len(race_sids)} calls × 10 simultaneous callbacks, HTTP {sorted(set(race_codes))}: {json.dumps(check)} -> {'OK' if good else 'MISMATCH'}")
        print("RESULT:", "PASS" if ok else "FAIL")
        __import__('_report').report("webhook callbacks/s (gunicorn + MariaDB, loopback load)", f"{statistics.median(r['per_second'] for r in runs):.0f}/s",
            ">= 300/s, no lost or duplicated status rows", statistics.median(r['per_second'] for r in runs) >= 300 and ok)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
