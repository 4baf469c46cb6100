"""Production smoke test: the production stack, started outside Docker with
exactly the commands the Dockerfile and docker-compose.yml run.

Run it as ``scripts/prod_smoke`` (CI's ``.ci/run`` does). It reads the
commands from the Dockerfile (the final stage's ``ENV``, the ``collectstatic``
``RUN`` line, ``CMD``) and from docker-compose.yml (the ``migrate``, ``web``,
``worker`` and ``beat`` services' ``command``), then, with ``DEBUG=0``:

1. collects the static files (WhiteNoise's compressed manifest);
2. migrates a database of its own on the local MariaDB and runs
   ``check --deploy`` against it (the time-zone tables check included);
3. starts gunicorn (the Dockerfile's CMD, which must equal compose's ``web``),
   a Celery worker and beat on the local Redis (DB numbers of its own);
4. logs in to the admin through its login form over HTTP and fetches the
   hashed static files the page names; opens /dashboard/, /statements/ and the
   API docs;
5. uploads a loan book and two statements through the API as a real user
   (token), waits for the worker to process them, checks the rows and the
   statements' verdicts, and that the originals are gone (retention 0);
6. waits for beat to hand a periodic task to the worker through Redis.

Every process is stopped, the database dropped and the Redis DBs flushed at
the end, pass or fail; on failure each process's log is printed.

Environment: ``PROD_SMOKE_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306``),
``PROD_SMOKE_REDIS`` (default ``redis://127.0.0.1:6379``),
``PROD_SMOKE_REDIS_DB`` (the broker DB to try first, default 10; the cache
uses the next one; a pair is taken only when both are empty, and claimed with
a lock key, so two runs on one machine never share a queue),
``PROD_SMOKE_TIMEOUT`` (seconds per wait, default 180).
"""
from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import MySQLdb
import redis
import requests
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
TIMEOUT = float(os.environ.get("PROD_SMOKE_TIMEOUT", "180"))

LOAN_BOOK_HEADER = ["name", "phone", "loan_id", "amount", "due_date", "state", "Cluster", "Branch", "Branch Contact Number",
                    "Employee", "Employee ID", "Employee Contact Number", "Last Paid Date", "Last Paid Amount", "Due Amount"]


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"[prod_smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Reading the commands ----------------------------------------------------

def _dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of every instruction, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    return instructions


def _command_argv(value: str | list[str]) -> list[str]:
    if isinstance(value, list):
        return [str(part) for part in value]
    value = value.strip()
    if value.startswith("["):
        return [str(part) for part in json.loads(value)]
    return shlex.split(value)


def read_commands() -> dict[str, Any]:
    instructions = _dockerfile_instructions((ROOT / "Dockerfile").read_text())
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    final = instructions[last_from:]
    image_env: dict[str, str] = {}
    for kw, rest in final:
        if kw == "ENV":
            for part in shlex.split(rest):
                key, _, value = part.partition("=")
                image_env[key] = value
    collectstatic = [rest for kw, rest in final if kw == "RUN" and "collectstatic" in rest]
    cmds = [rest for kw, rest in final if kw == "CMD"]
    if len(collectstatic) != 1 or len(cmds) != 1:
        raise SmokeFailure("the Dockerfile's final stage must have one RUN …collectstatic… and one CMD")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    commands = {name: _command_argv(services[name]["command"]) for name in ("migrate", "web", "worker", "beat")}
    web = _command_argv(cmds[0])
    if web != commands["web"]:
        raise SmokeFailure(f"the Dockerfile's CMD {web} and docker-compose's web command {commands['web']} differ")
    return {"image_env": image_env, "collectstatic": collectstatic[0], **commands}


# --- Processes ---------------------------------------------------------------

class Stack:
    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def run(self, name: str, argv: list[str], timeout: float) -> None:
        log_path = self.workdir / f"{name}.log"
        self.logs[name] = log_path
        started = time.monotonic()
        with log_path.open("wb") as out:
            try:
                result = subprocess.run(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise SmokeFailure(f"{name} ({shlex.join(argv)}) did not finish in {timeout:.0f}s") from exc
        if result.returncode != 0:
            raise SmokeFailure(f"{name} ({shlex.join(argv)}) exited {result.returncode}")
        log(f"{name}: ok in {time.monotonic() - started:.1f}s ({shlex.join(argv)})")

    def start(self, name: str, argv: list[str]) -> None:
        log_path = self.workdir / f"{name}.log"
        self.logs[name] = log_path
        out = log_path.open("wb")
        self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        log(f"{name}: started pid {self.procs[name].pid} ({shlex.join(argv)})")

    def read_log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace") if name in self.logs else ""

    def assert_running(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SmokeFailure(f"{name} exited with status {proc.returncode}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 30
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name}: still running 30s after SIGTERM, killing it")
            # Whatever is left in the group (gunicorn's or celery's children) goes too.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"{name}: pid {proc.pid} did not exit after SIGKILL")

    def dump_logs(self, lines: int = 120) -> None:
        for name, path in self.logs.items():
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            print(f"\n===== {name} log (last {min(lines, len(text))} of {len(text)} lines: {path}) =====", flush=True)
            print("\n".join(text[-lines:]), flush=True)


def wait_until(what: str, condition: Callable[[], Any], stack: Stack, timeout: float = TIMEOUT, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        stack.assert_running()
        try:
            value = condition()
        except (requests.RequestException, SmokeFailure) as exc:
            value, last_error = None, exc
        if value:
            return value
        time.sleep(interval)
    raise SmokeFailure(f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


# Pairs of Redis DBs a run may use (broker, cache): not 0/1 (a developer's
# default), 7 (calls tests) nor 12/13 (tests/e2e).
REDIS_PAIRS = (10, 8, 14, 2, 4)
REDIS_LOCK = "prod_smoke:owner"


def claim_redis_dbs(base: str, first: int) -> tuple[int, list[redis.Redis]]:
    owner = f"{socket.gethostname()}:{os.getpid()}"
    for broker in (first, *[n for n in REDIS_PAIRS if n != first]):
        clients = [redis.Redis.from_url(f"{base}/{n}") for n in (broker, broker + 1)]
        if not clients[0].set(REDIS_LOCK, owner, nx=True, ex=3600):
            continue  # another run has it
        if clients[0].dbsize() == 1 and clients[1].dbsize() == 0:
            return broker, clients
        if clients[0].get(REDIS_LOCK) == owner.encode():
            clients[0].delete(REDIS_LOCK)  # not empty: someone else's data
    raise SmokeFailure(f"no free pair of Redis DBs among {REDIS_PAIRS} (each pair must be empty)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- HTTP --------------------------------------------------------------------

class Client:
    """HTTP to gunicorn as a TLS-terminating proxy would forward it (X-Forwarded-Proto: https)."""

    def __init__(self, base: str):
        self.base = base
        self.origin = "https://" + urlparse(base).netloc
        self.cookies: dict[str, str] = {}
        self.token: str | None = None
        self.http = requests.Session()

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        if self.token and auth:
            headers["Authorization"] = f"Token {self.token}"
        # The cookies are Secure: requests would not send them over http, so they are sent by hand.
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, self.base + path, headers=headers, allow_redirects=False, timeout=60, **kwargs)
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value or ""
        self.http.cookies.clear()
        return response


def expect(response: requests.Response, status: int, what: str) -> requests.Response:
    if response.status_code != status:
        raise SmokeFailure(f"{what}: {response.request.method} {response.url} answered {response.status_code}, "
                           f"expected {status}: {response.text[:1500]}")
    return response


# --- The checks --------------------------------------------------------------

def write_loan_book(path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LOAN_BOOK_HEADER)
        for c in range(6):
            for loan in range(2):
                writer.writerow([f"Customer {c} Mukasa", f"0772 10{c:04d}", f"SMOKE-{c:02d}-{loan}", f"{(c + 1) * 100_000:,}",
                                 "2024-01-15", "Central", "Kampala Cluster", f"Branch {c % 2}", "0414 123456",
                                 f"Agent {c % 3}", f"EMP{c % 3:03d}", "0772 000 111", "2023-12-10", "5,000", "50,000"])
        writer.writerow(["Broken", "not a phone", "SMOKE-BAD", "lots", "someday"] + [""] * 10)


def check_admin(client: Client, password: str) -> None:
    page = expect(client.request("GET", "/admin/login/"), 200, "the admin login page")
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', page.text)
    hashed = [href for href in stylesheets if re.search(r"\.[0-9a-f]{12}\.css$", href)]
    if not hashed:
        raise SmokeFailure(f"the admin login page names no hashed (manifest) stylesheet: {stylesheets}")
    for href in hashed:
        css = expect(client.request("GET", href), 200, f"the static file {href}")
        if "text/css" not in css.headers.get("Content-Type", ""):
            raise SmokeFailure(f"{href} served as {css.headers.get('Content-Type')}")
        if "max-age=315360000" not in css.headers.get("Cache-Control", ""):
            raise SmokeFailure(f"{href}: WhiteNoise should serve a hashed file as immutable, got {css.headers.get('Cache-Control')}")
    csp = page.headers.get("Content-Security-Policy")
    if not csp:
        raise SmokeFailure("the admin login page has no Content-Security-Policy header")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not csrf:
        raise SmokeFailure("no CSRF token on the admin login form")
    login = client.request(
        "POST", "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": csrf.group(1), "username": "smoke-ops", "password": password, "next": "/admin/"},
        headers={"Referer": f"{client.origin}/admin/login/", "Origin": client.origin},
    )
    if login.status_code != 302 or "sessionid" not in client.cookies:
        raise SmokeFailure(f"admin login failed: {login.status_code} {login.text[:800]}")
    index = expect(client.request("GET", "/admin/", auth=False), 200, "the admin index")
    if "Site administration" not in index.text and "smoke-ops" not in index.text:
        raise SmokeFailure("the admin index does not look like the admin index")
    log(f"admin: login form, index and {len(hashed)} hashed stylesheet(s) served")
    for path, marker in (("/dashboard/", "<html"), ("/statements/", "<html"), ("/api/docs/", "swagger"), ("/api/redoc/", "redoc")):
        page = expect(client.request("GET", path, auth=False), 200, path)
        if marker not in page.text.lower():
            raise SmokeFailure(f"{path} does not contain {marker!r}")
    log("ops pages and API docs: 200")


def check_loan_book(client: Client, stack: Stack, media_root: Path) -> None:
    book = stack.workdir / "loan_book.csv"
    write_loan_book(book)
    with book.open("rb") as handle:
        response = client.request("POST", "/api/v1/uploads/", files={"file": ("loan_book.csv", handle, "text/csv")})
    upload = expect(response, 202, "the loan-book upload").json()
    log(f"loan book: accepted as upload {upload['id']} ({upload['status']})")

    def finished() -> dict | None:
        data = expect(client.request("GET", f"/api/v1/uploads/{upload['id']}/"), 200, "the upload").json()
        return data if data["status"] in ("completed", "completed_with_errors", "failed") else None

    done = wait_until("the worker to process the loan book", finished, stack)
    counts = (done["status"], done["total_records"], done["success_records"], done["failed_records"])
    if counts != ("completed_with_errors", 13, 12, 1):
        raise SmokeFailure(f"loan book: expected (completed_with_errors, 13 rows, 12 ok, 1 failed), got {counts}: {done}")
    rows = expect(client.request("GET", f"/api/v1/upload-rows/?file_upload={upload['id']}&status=failed"), 200, "the failed rows").json()
    if rows.get("count") != 1:
        raise SmokeFailure(f"loan book: expected 1 failed row in the API, got {rows}")
    log(f"loan book: {counts[0]}, {counts[1]} rows, {counts[2]} imported, {counts[3]} refused")


def check_statements(client: Client, stack: Stack) -> None:
    sys.path.insert(0, str(ROOT))
    from fixtures.statements.generate import build_samples  # noqa: PLC0415 — dev-only generator, needed only here

    samples = build_samples()
    ids = []
    for name, run_id in (("airtel_f1_genuine.pdf", "smoke0genuine"), ("airtel_f1_tampered_edited_balance.pdf", "smoke0tampered")):
        path = stack.workdir / name
        path.write_bytes(samples[name][0])
        with path.open("rb") as handle:
            response = client.request("POST", "/api/v1/statements/", files={"files": (name, handle, "application/pdf")},
                                      data={"run_id": run_id})
        ids.append(expect(response, 202, f"the statement upload {name}").json()["id"])
    log(f"statements: import jobs {ids} accepted")

    def finished() -> list[dict] | None:
        jobs = [expect(client.request("GET", f"/api/v1/statement-imports/{i}/"), 200, "the import job").json() for i in ids]
        return jobs if all(job["status"] in ("completed", "completed_with_errors", "failed") for job in jobs) else None

    jobs = wait_until("the worker to process the statements", finished, stack)
    if [job["status"] for job in jobs] != ["completed", "completed"]:
        raise SmokeFailure(f"statement imports did not complete: {jobs}")
    verdicts = {}
    for run_id in ("smoke0genuine", "smoke0tampered"):
        listing = expect(client.request("GET", f"/api/v1/statements/?run_id={run_id}"), 200, "the statement list").json()
        if listing["count"] != 1:
            raise SmokeFailure(f"expected one statement with run_id {run_id}: {listing}")
        verdicts[run_id] = listing["results"][0]["status"]
    if verdicts != {"smoke0genuine": "VERIFIED", "smoke0tampered": "FLAGGED"}:
        raise SmokeFailure(f"statement verdicts: expected genuine VERIFIED and tampered FLAGGED, got {verdicts}")
    log(f"statements: {verdicts}")


def check_originals_removed(media_root: Path, stack: Stack) -> None:
    """UPLOAD_RETENTION_DAYS=0: the originals go right after processing."""

    def empty() -> bool:
        return not [p for p in media_root.rglob("*") if p.is_file()]

    wait_until("the uploaded originals to be deleted (UPLOAD_RETENTION_DAYS=0)", empty, stack, timeout=60)
    log("retention: no uploaded original left in MEDIA_ROOT")


def check_beat(stack: Stack) -> None:
    def delivered() -> bool:
        return "Sending due task" in stack.read_log("beat") and bool(
            re.search(r"Task (calls|statements|uploads|customers)\.tasks\.\w+\[[^\]]+\] succeeded", stack.read_log("worker")))

    wait_until("beat to send a periodic task that the worker runs", delivered, stack, timeout=max(TIMEOUT, 120))
    log("beat: a periodic task went through Redis to the worker")


# --- Main --------------------------------------------------------------------

def main() -> int:
    started = time.monotonic()
    commands = read_commands()
    mysql_url = urlparse(os.environ.get("PROD_SMOKE_MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    redis_base = os.environ.get("PROD_SMOKE_REDIS", "redis://127.0.0.1:6379").rstrip("/")
    db_name = f"prod_smoke_{os.getpid()}"
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="prod_smoke-"))
    media_root = workdir / "media"
    media_root.mkdir()
    password = secrets.token_urlsafe(18)

    credentials = mysql_url.username or "root"
    if mysql_url.password:
        credentials += f":{mysql_url.password}"
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "EXOTEL_", "FLOW_API_")) and key not in ("DATABASE_URL", "TEST_DB_NAME", "REDIS_URL")
    }
    env.update(commands["image_env"])
    env.update({
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"mysql://{credentials}@{mysql_url.hostname}:{mysql_url.port or 3306}/{db_name}",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(media_root),
        "STATEMENT_INBOX_DIR": str(workdir / "inbox"),
        "MAPPER_CSV_PATH": str(workdir / "mapper.csv"),
        "TELEPHONY_PROVIDER": "simulator",
        "UPLOAD_RETENTION_DAYS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "CELERY_CONCURRENCY": "2",
        "SMOKE_TOKEN_FILE": str(workdir / "token"),
        "SMOKE_PASSWORD": password,
    })
    if env.get("DEBUG") != "0":
        raise SmokeFailure(f"the Dockerfile must set DEBUG=0, it sets {commands['image_env']}")

    stack = Stack(workdir, env)
    admin = MySQLdb.connect(host=mysql_url.hostname or "127.0.0.1", port=mysql_url.port or 3306, user=mysql_url.username or "root",
                            password=mysql_url.password or "")
    # Claimed last before the try, so the finally always releases them.
    redis_db, redis_dbs = claim_redis_dbs(redis_base, int(os.environ.get("PROD_SMOKE_REDIS_DB", "10")))
    env.update({"CELERY_BROKER_URL": f"{redis_base}/{redis_db}", "REDIS_URL": f"{redis_base}/{redis_db + 1}"})
    ok = False
    try:
        admin.cursor().execute(f"CREATE DATABASE `{db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        log(f"database {db_name}, Redis DBs {redis_db} and {redis_db + 1}, port {port}, workdir {workdir}")

        stack.run("collectstatic", ["sh", "-c", commands["collectstatic"]], timeout=300)
        stack.run("migrate", commands["migrate"], timeout=600)
        stack.run("check-deploy", ["python", "manage.py", "check", "--deploy", "--database", "default", "--fail-level", "WARNING"],
                  timeout=120)
        stack.run("create-user", ["python", "manage.py", "shell", "-c", (
            "from django.contrib.auth.models import Group, User; from rest_framework.authtoken.models import Token; "
            "from core.roles import OPS_ADMIN, sync_roles; sync_roles(); "
            "import os; u = User.objects.create_user('smoke-ops', password=os.environ['SMOKE_PASSWORD'], is_staff=True); "
            "u.groups.add(Group.objects.get(name=OPS_ADMIN)); "
            "open(os.environ['SMOKE_TOKEN_FILE'], 'w').write(Token.objects.create(user=u).key)"
        )], timeout=120)

        stack.start("web", commands["web"])
        client = Client(f"http://127.0.0.1:{port}")
        wait_until("gunicorn to answer /healthz", lambda: client.request("GET", "/healthz").status_code == 200, stack, timeout=60)
        stack.start("worker", commands["worker"])
        stack.start("beat", commands["beat"])
        wait_until("the Celery worker to be ready", lambda: "ready." in stack.read_log("worker"), stack, timeout=90)

        client.token = (workdir / "token").read_text().strip()
        check_admin(client, password)
        check_loan_book(client, stack, media_root)
        check_statements(client, stack)
        check_originals_removed(media_root, stack)
        check_beat(stack)
        stack.assert_running()
        ok = True
    except SmokeFailure as exc:
        log(f"FAILED: {exc}")
    except Exception:
        log("FAILED with an unexpected error:")
        traceback.print_exc()
    finally:
        stack.stop()
        if not ok:
            stack.dump_logs()
        try:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS `{db_name}`")
            admin.close()
        except Exception as exc:
            log(f"could not drop {db_name}: {exc}")
        for client_ in redis_dbs:
            try:
                client_.flushdb()
            except Exception as exc:
                log(f"could not flush Redis: {exc}")
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    if ok:
        log(f"PASSED in {elapsed:.0f}s")
        return 0
    log(f"FAILED after {elapsed:.0f}s")
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SmokeFailure as exc:
        log(f"FAILED before start: {exc}")
        sys.exit(1)
