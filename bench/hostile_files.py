"""Benchmark: the hostile files of issue 14, each through a web process (the
upload request) and a worker process (the import), each in its own
subprocess: its peak RSS (``ru_maxrss``) and the time until the file is
refused.

    .venv/bin/python bench/hostile_files.py [--scale 1.0] [--only gzip] [--keep-db]

Generated (fixtures/hostile.py, streamed, nothing committed) at full size:
a 256 MB gzip bomb (.csv.gz statement), an XLSX with one 200 MB shared
string (as a statement and as a loan book), a 3,000-page text PDF, a CSV
statement and a CSV loan book with one 40 MB cell, a CSV statement with a
1,000,000-cell row, and a workbook with 10,000 sheets (statement and loan
book). ``--scale`` shrinks the sizes while developing.

Files are generated in a subprocess of their own, so the processes measured
do not inherit its memory (Linux keeps a process's peak RSS across exec).
The web side is ``POST /api/v1/statements/`` or ``POST /api/v1/uploads/``
through Django's test client in a process with a broker configured
(``memory://``), so the request only records and queues, as in production.
The worker side runs the job the Celery task runs (``statement_import_job_run``
/ ``file_upload_process``) on the file as stored, bypassing the door: what a
worker would do with a file the door could not see through. Targets (issue
14): peak RSS < 512 MB in both, refused within 5 s. Uses its own MariaDB
database (created, migrated and dropped).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_HOSTILE_DB_URL", "mysql://root@127.0.0.1:3306/creditdesk_bench_h14_hostile")
MB = 1 << 20
RSS_TARGET_MB = 512
SECONDS_TARGET = 5.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------- the files


def make_files(folder: Path, scale: float) -> list[tuple[str, str, Path]]:
    """(label, kind, path) of every hostile file; kind: statement or loan_book."""
    from fixtures import hostile

    def size(n: int) -> int:
        return max(1024, int(n * scale))

    files = []

    def add(label: str, kind: str, name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        files.append((label, kind, path))
        print(f"generated {name}: {len(data):,} bytes ({label})", flush=True)

    add(f"gzip bomb ({size(256 * MB) // MB} MB .csv.gz statement)", "statement", "bomb.csv.gz", hostile.gzip_bomb(size(256 * MB)))
    header = [hostile.LOAN_BOOK_HEADER, ("A", "0772000001", "L1", 5)]
    bomb = hostile.xlsx(header, big_string_chars=size(200 * MB))
    add(f"XLSX, one {size(200 * MB) // MB} MB shared string (statement)", "statement", "bomb_statement.xlsx", bomb)
    add(f"XLSX, one {size(200 * MB) // MB} MB shared string (loan book)", "loan_book", "bomb_book.xlsx", bomb)
    add(f"text PDF, {max(2, int(3000 * scale)):,} pages (statement)", "statement", "pages.pdf", hostile.text_pdf(max(2, int(3000 * scale))))
    cell = '"' + "x" * size(40 * MB) + '"'
    add(f"CSV statement, one {size(40 * MB) // MB} MB cell", "statement", "huge_cell.csv", hostile.airtel_csv(1, line=f"1,{cell}\n"))
    add(f"CSV loan book, one {size(40 * MB) // MB} MB cell", "loan_book", "huge_cell_book.csv", hostile.loan_book_csv(2, cell=cell))
    cells = max(1000, int(1_000_000 * scale))
    add(f"CSV statement, a {cells:,}-cell row", "statement", "wide_row.csv", hostile.airtel_csv(1, line="1," * cells + "\n"))
    sheets = max(60, int(10_000 * scale))
    many = hostile.xlsx(header, sheets=sheets)
    add(f"workbook of {sheets:,} sheets (statement)", "statement", "sheets_statement.xlsx", many)
    add(f"workbook of {sheets:,} sheets (loan book)", "loan_book", "sheets_book.xlsx", many)
    return files


# --------------------------------------------------------------------------- one measurement (child process)


def _child(side: str, kind: str, path: Path) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench_h14", defaults={"is_staff": True, "is_superuser": True})
    baseline = _rss_mb()
    started = time.perf_counter()
    if side == "web":
        client = Client()
        client.force_login(user)
        client.get("/api/v1/statements/?limit=1")  # warm: URLconf, DRF, auth
        baseline = _rss_mb()
        started = time.perf_counter()
        with open(path, "rb") as handle:
            if kind == "statement":
                response = client.post("/api/v1/statements/", {"files": [handle]})
            else:
                response = client.post("/api/v1/uploads/", {"file": handle})
        seconds = time.perf_counter() - started
        body = response.json()
        message = body.get("files") or body.get("file") or body.get("status") or body
        if isinstance(message, list):
            message = message[0]
        return {"status": response.status_code, "outcome": str(message), "seconds": seconds, "rss_mb": _rss_mb(), "baseline_mb": baseline}
    if kind == "statement":
        from statements import services

        job = services.statement_import_job_create(files=[path], trigger="command", started_by_label="bench", enqueue=False)
        job = services.statement_import_job_run(job.pk)
        outcome = job.results[0].get("error") or job.results[0].get("outcome")
        status = job.status
    else:
        from uploads.models import FileUpload
        from uploads.services import file_upload_process

        upload = FileUpload(filename=path.name, file_size=path.stat().st_size, uploaded_by_label="bench")
        with open(path, "rb") as handle:
            upload.file.save(path.name, File(handle, name=path.name), save=False)
        upload.save()
        upload = file_upload_process(upload_id=upload.pk)
        outcome, status = upload.processing_errors or upload.status, upload.status
    seconds = time.perf_counter() - started
    return {"status": status, "outcome": outcome, "seconds": seconds, "rss_mb": _rss_mb(), "baseline_mb": baseline}


def measure(side: str, kind: str, path: Path, env: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", side, kind, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"status": f"crashed (exit {proc.returncode})", "outcome": proc.stderr.strip().splitlines()[-1:] or "", "seconds": float("nan"),
            "rss_mb": float("nan"), "baseline_mb": float("nan")}


# --------------------------------------------------------------------------- the database


def _mysql(sql: str) -> None:
    import MySQLdb

    parts = urlsplit(DB_URL)
    conn = MySQLdb.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or "")
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def _env(media: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "ERROR",
           "CELERY_BROKER_URL": "memory://", "MEDIA_ROOT": str(media)}
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the files (development runs)")
    parser.add_argument("--only", action="append", default=[], help="only files whose label contains this")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, kind, path = args.child
        print("RESULT " + json.dumps(_child(side, kind, Path(path))), flush=True)
        return 0
    if args.generate:
        files = make_files(Path(args.generate), args.scale)
        print("FILES " + json.dumps([(label, kind, str(path)) for label, kind, path in files]), flush=True)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import report

    name = urlsplit(DB_URL).path.strip("/")
    _mysql(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        with tempfile.TemporaryDirectory(prefix="bench_h14_") as tmp:
            folder, media = Path(tmp) / "files", Path(tmp) / "media"
            folder.mkdir()
            env = _env(media)
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
            generated = subprocess.run(
                [sys.executable, __file__, "--generate", str(folder), "--scale", str(args.scale)], cwd=ROOT, check=True, capture_output=True, text=True,
            ).stdout.splitlines()
            print("\n".join(line for line in generated if line.startswith("generated")))
            listed = json.loads(next(line for line in generated if line.startswith("FILES "))[6:])
            files = [(label, kind, Path(path)) for label, kind, path in listed if not args.only or any(o in label for o in args.only)]
            print(f"this process: peak RSS {_rss_mb():.0f} MB (what the measured processes start from at least)")
            print()
            print(f"{'file':52} {'side':6} {'status':>22} {'peak RSS':>9} {'(start)':>8} {'seconds':>8}  outcome")
            all_ok = True
            for label, kind, path in files:
                for side in ("web", "worker"):
                    r = measure(side, kind, path, env)
                    rss, seconds = r["rss_mb"], r["seconds"]
                    ok = rss < RSS_TARGET_MB and seconds < SECONDS_TARGET
                    all_ok &= ok
                    print(f"{label:52} {side:6} {str(r['status']):>22} {rss:7.0f}MB {r['baseline_mb']:6.0f}MB {seconds:8.2f}  {str(r['outcome'])[:160]}",
                          flush=True)
                    report(f"{label}: {side} process", f"{rss:.0f} MB peak, {seconds:.2f} s ({r['status']})",
                           f"< {RSS_TARGET_MB} MB, < {SECONDS_TARGET:.0f} s", ok)
            print()
            print("all within targets" if all_ok else "SOME FIGURES MISSED THEIR TARGET")
    finally:
        if not args.keep_db:
            _mysql(f"DROP DATABASE IF EXISTS `{name}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
