"""A fake Exotel on 127.0.0.1 that speaks the real HTTP API.

It checks HTTP Basic auth, records every request, answers the Connect API
with ``{"Call": {"Sid": …}}`` (or a scripted 429 / 5xx / 4xx), serves the
call-details API from what it knows, and — like Exotel — POSTs status
callbacks to the ``StatusCallback`` URL it was given.
"""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import requests

SID = "creditdesk1"
API_KEY = "key-123"
API_TOKEN = "token-456"


def _exotel_now() -> str:
    # Exotel writes its account's local time (IST), without an offset.
    return datetime.now(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    form: dict
    auth: tuple[str, str] | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Scripted:
    status: int
    body: dict | str | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class FakeExotel:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.script: list[Scripted] = []  # answers for the next connect requests, in order
        self.calls: dict[str, dict] = {}  # Sid -> what the call-details API answers
        self.auto_callbacks: list[dict] | None = None  # posted to StatusCallback after a connect
        self.callback_responses: list[int] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.fake = self  # what each request's handler reads and records into
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeExotel:
        self.thread.start()
        return self

    def stop(self) -> None:
        for t in self._threads:
            t.join(timeout=10)
        self.server.shutdown()
        self.server.server_close()

    def connect_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/Calls/connect.json")]

    def details_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "GET"]

    def add_call(self, sid: str, *, from_number: str, to_number: str = "", status: str = "completed", date_created: str | None = None, **extra) -> dict:
        """A call this account placed that our side never heard about (a
        connect request whose answer was lost): the call-details API
        answers for it as for any other."""
        call = {"Sid": sid, "AccountSid": SID, "From": from_number, "To": to_number, "Status": status,
                "DateCreated": date_created or _exotel_now(), "DateUpdated": _exotel_now(), "Direction": "outbound-api", **extra}
        with self._lock:
            self.calls[sid] = call
        return call

    def wait_for_calls(self, count: int = 1, timeout: float = 10) -> None:
        """Until ``count`` calls are placed (a scripted delay places them after our client gave up)."""
        deadline = time.monotonic() + timeout
        def placed() -> bool:
            return len(self.calls) >= count and (not self.auto_callbacks or len(self._threads) >= count)

        while not placed() and time.monotonic() < deadline:
            time.sleep(0.02)

    def wait_for_callbacks(self, timeout: float = 10) -> None:
        for t in self._threads:
            t.join(timeout=timeout)

    def _post_callbacks(self, url: str, sid: str, custom_field: str, events: list[dict]) -> None:
        time.sleep(0.05)
        for event in events:
            body = {"CallSid": sid, "CustomField": custom_field, "DateUpdated": _exotel_now(), **event}
            with self._lock:  # the call-details API follows the call, as Exotel's does
                if sid in self.calls and event.get("Status"):
                    self.calls[sid] = {**self.calls[sid], "Status": event["Status"], "DateUpdated": body["DateUpdated"]}
            response = requests.post(url, data=body, timeout=10)
            self.callback_responses.append(response.status_code)


def _error(status: int, message: str) -> dict:
    return {"RestException": {"Status": status, "Message": message}}


class _Handler(BaseHTTPRequestHandler):
    """One request to the fake: Exotel's Connect API (POST) and call-details API (GET)."""

    @property
    def fake(self) -> FakeExotel:
        return self.server.fake

    def log_message(self, *args):  # keep test output quiet
        pass

    def _auth(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password

    def _send(self, status: int, body, headers: dict | None = None):
        raw = body if isinstance(body, str) else json.dumps(body)
        data = raw.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test); Exotel does not care either

    def _record(self, form: dict) -> Recorded:
        parts = urlsplit(self.path)
        rec = Recorded(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}, form, self._auth())
        with self.fake._lock:
            self.fake.requests.append(rec)
        return rec

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        rec = self._record(form)
        if rec.auth != (API_KEY, API_TOKEN):
            return self._send(401, _error(401, "Authentication is required"))
        if rec.path != f"/v1/Accounts/{SID}/Calls/connect.json":
            return self._send(404, _error(404, "Not found"))
        with self.fake._lock:
            scripted = self.fake.script.pop(0) if self.fake.script else None
        if scripted:
            time.sleep(scripted.delay)
            if scripted.status != 200:
                return self._send(scripted.status, scripted.body or _error(scripted.status, "scripted"), scripted.headers)
        missing = [k for k in ("From", "CallerId") if not form.get(k)]
        if missing or not (form.get("To") or form.get("Url")):
            return self._send(400, _error(400, f"Missing parameter {missing or 'To/Url'}"))
        self._send(200, {"Call": self._connect(form)})

    def _connect(self, form: dict) -> dict:
        """Place the call: remember it for the call-details API and start its callbacks."""
        sid = uuid.uuid4().hex
        call = {"Sid": sid, "AccountSid": SID, "From": form["From"], "To": form.get("To", ""), "Status": "in-progress",
                "DateCreated": _exotel_now(), "Direction": "outbound-api", "PhoneNumberSid": form["CallerId"]}
        fake = self.fake
        with fake._lock:
            fake.calls[sid] = dict(call, Status="queued")
        if fake.auto_callbacks and form.get("StatusCallback"):
            # Started before answering, so a test that got its answer
            # can always wait for these callbacks.
            t = threading.Thread(target=fake._post_callbacks, args=(form["StatusCallback"], sid, form.get("CustomField", ""), fake.auto_callbacks))
            t.start()
            with fake._lock:
                fake._threads.append(t)
        return call

    def do_GET(self):
        rec = self._record({})
        if rec.auth != (API_KEY, API_TOKEN):
            return self._send(401, _error(401, "Authentication is required"))
        prefix = f"/v1/Accounts/{SID}/Calls/"
        if not (rec.path.startswith(prefix) and rec.path.endswith(".json")):
            return self._send(404, _error(404, "Not found"))
        sid = rec.path[len(prefix):-5]
        call = self.fake.calls.get(sid)
        if call is None:
            return self._send(404, _error(404, f"Call {sid} not found"))
        self._send(200, {"Call": call})


def terminal_callback(call_sid: str, status: str = "completed", *, duration: int = 42, custom_field: str = "", recording: bool = True, date: str = "2026-11-22 10:05:00") -> dict:
    """The form body Exotel POSTs for the ``terminal`` event."""
    body = {
        "CallSid": call_sid,
        "Status": status,
        "EventType": "terminal",
        "DateUpdated": date,
        "DateCreated": "2026-11-22 10:00:00",
        "StartTime": "2026-11-22 10:00:01",
        "EndTime": date,
        "ConversationDuration": str(duration if status == "completed" else 0),
        "Direction": "outbound-api",
        "CustomField": custom_field,
        "RecordingUrl": f"https://recordings.exotel.com/{call_sid}.mp3" if recording and status == "completed" else "",
        "Legs[0][OnCallDuration]": str(duration + 5),
        "Legs[0][Status]": "completed",
        "Legs[1][OnCallDuration]": str(duration),
        "Legs[1][Status]": status,
    }
    return body


def answered_callback(call_sid: str, *, custom_field: str = "", date: str = "2026-11-22 10:00:20") -> dict:
    return {"CallSid": call_sid, "Status": "in-progress", "EventType": "answered", "DateUpdated": date, "CustomField": custom_field}
