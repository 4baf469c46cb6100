"""Exotel's Voice v1 API: place calls, read call details, parse callbacks.

* Connect API: ``POST <base>/v1/Accounts/<sid>/Calls/connect.json``,
  form-encoded, HTTP Basic auth (API key, API token). Answers
  ``{"Call": {"Sid": …, "Status": …}}`` or ``{"RestException": {…}}``.
* Call details: ``GET <base>/v1/Accounts/<sid>/Calls/<CallSid>.json?details=true``
  (``fetch_call``): the call as Exotel recorded it (``From``, ``To``,
  ``DateCreated``, ``Status``…), which reconciliation trusts over a callback.
* StatusCallback: Exotel POSTs ``CallSid``, ``Status``, ``DateUpdated``,
  ``RecordingUrl`` and, for the subscribed ``terminal``/``answered`` events,
  ``EventType``, ``ConversationDuration``, ``CustomField``, ``Legs``… as a
  form-encoded or multipart body (``Legs[0][Status]=…``).
"""
from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from django.conf import settings

from calls.choices import CallStatus
from calls.telephony.base import (
    CallDetails,
    PlaceCallRequest,
    PlacedCall,
    ProviderCallNotFound,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)

# Exotel's words for a call's state, mapped onto ours.
EXOTEL_STATUS_MAP = {
    "queued": CallStatus.INITIATED,
    "initiated": CallStatus.INITIATED,
    "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.IN_PROGRESS,
    "in_progress": CallStatus.IN_PROGRESS,
    "answered": CallStatus.IN_PROGRESS,
    "completed": CallStatus.COMPLETED,
    "failed": CallStatus.FAILED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "no_answer": CallStatus.NO_ANSWER,
    "canceled": CallStatus.CANCELED,
    "cancelled": CallStatus.CANCELED,
}

_SID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_LEG_KEY_RE = re.compile(r"^Legs\[(\d+)\]\[([A-Za-z]+)\]$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ")


class MalformedCallback(ValueError):
    """The body is not an Exotel status callback we can act on."""


@dataclass(frozen=True)
class CallbackEvent:
    call_sid: str
    status: str  # a CallStatus value
    provider_status: str
    event_type: str = ""
    occurred_at: datetime | None = None
    duration_seconds: int | None = None
    recording_url: str = ""
    custom_field: str = ""
    payload: dict = field(default_factory=dict)


def exotel_timezone() -> ZoneInfo:
    # Exotel writes its timestamps without an offset, in the account's local
    # time (IST for Indian and most Singapore-stamp accounts).
    return ZoneInfo(settings.EXOTEL_TIMEZONE)


def parse_exotel_datetime(value: str) -> datetime:
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        tz = ZoneInfo("UTC") if text.endswith("Z") else exotel_timezone()
        return parsed.replace(tzinfo=tz)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedCallback(f"DateUpdated {value!r} is not a date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=exotel_timezone())


# A callback is a few dozen short fields. What is kept of one is bounded,
# whatever is sent: fields (and legs) beyond these counts are dropped, text
# is cut to EXOTEL_CALLBACK_MAX_FIELD_LENGTH, nesting below two levels is
# kept as (cut) text.
MAX_CALLBACK_FIELDS = 100
MAX_CALLBACK_LEGS = 10
MAX_CALLBACK_DURATION_SECONDS = 86400


def _bounded(value, depth: int = 0):
    limit = settings.EXOTEL_CALLBACK_MAX_FIELD_LENGTH
    if isinstance(value, str):
        return value[:limit]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth < 2 and isinstance(value, Mapping):
        return {str(k)[:64]: _bounded(v, depth + 1) for k, v in list(value.items())[:MAX_CALLBACK_FIELDS]}
    if depth < 2 and isinstance(value, (list, tuple)):
        return [_bounded(v, depth + 1) for v in list(value)[:MAX_CALLBACK_FIELDS]]
    return str(value)[:limit]


def flatten_form(data) -> dict:
    """A QueryDict (or any mapping) as a plain JSON-able dict; Exotel's
    ``Legs[i][Key]`` fields become a ``Legs`` list. Anything else (a JSON
    string, number or null) is a ``MalformedCallback``. Sizes are bounded
    (``_bounded``)."""
    if hasattr(data, "lists"):
        items = [(k, v[-1] if len(v) == 1 else v) for k, v in data.lists()]
    elif isinstance(data, Mapping):
        items = list(data.items())
    else:
        raise MalformedCallback(f"the body is a JSON {type(data).__name__ if data is not None else 'null'}, not a set of fields")
    items = items[:MAX_CALLBACK_FIELDS]
    flat: dict = {}
    legs: dict[int, dict] = {}
    for key, value in items:
        if hasattr(value, "read"):  # an uploaded file in a multipart body: not ours to keep
            continue
        match = _LEG_KEY_RE.match(str(key)[:100])
        if match:
            index = int(match.group(1))
            if index < MAX_CALLBACK_LEGS:
                legs.setdefault(index, {})[match.group(2)[:64]] = _bounded(value, 2)
        else:
            flat[str(key)[:64]] = _bounded(value)
    if legs:
        flat["Legs"] = [legs[i] for i in sorted(legs)]
    elif isinstance(flat.get("Legs"), str):
        try:
            flat["Legs"] = _bounded(json.loads(flat["Legs"]))
        except (ValueError, RecursionError):
            pass  # keep what Exotel sent, verbatim (already cut to length)
    return flat


def _text(payload: Mapping, key: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value).strip()


def parse_status_callback(payload: Mapping) -> CallbackEvent:
    """Validate a flattened callback body and read it as our event."""
    call_sid = _text(payload, "CallSid")
    if not call_sid:
        raise MalformedCallback("CallSid is missing")
    if not _SID_RE.match(call_sid):
        raise MalformedCallback("CallSid is not a call id")
    event_type = _text(payload, "EventType").lower()
    provider_status = _text(payload, "Status").lower()
    if event_type == "answered" and provider_status in ("", "in-progress", "answered"):
        provider_status = "in-progress"
    if not provider_status:
        raise MalformedCallback("Status is missing")
    status = EXOTEL_STATUS_MAP.get(provider_status)
    if status is None:
        raise MalformedCallback(f"Status {provider_status!r} is not an Exotel call status")
    occurred_at = None
    raw_date = _text(payload, "DateUpdated") or _text(payload, "EndTime")
    if raw_date:
        occurred_at = parse_exotel_datetime(raw_date)
    duration = None
    raw_duration = _text(payload, "ConversationDuration") or _text(payload, "Duration")
    if raw_duration:
        try:
            duration = int(float(raw_duration))
        except (ValueError, OverflowError):  # "abc", "nan", "inf"
            raise MalformedCallback("ConversationDuration is not a finite number") from None
        if duration < 0:
            raise MalformedCallback("ConversationDuration is negative")
        if duration > MAX_CALLBACK_DURATION_SECONDS:
            raise MalformedCallback("ConversationDuration is longer than a day")
    recording_url = _text(payload, "RecordingUrl")
    if recording_url.lower() in ("null", "none"):
        recording_url = ""
    if recording_url and not recording_url.lower().startswith(("http://", "https://")):
        raise MalformedCallback("RecordingUrl is not a URL")
    return CallbackEvent(
        call_sid=call_sid,
        status=status,
        provider_status=provider_status,
        event_type=event_type,
        occurred_at=occurred_at,
        duration_seconds=duration,
        recording_url=recording_url[:500],
        custom_field=_text(payload, "CustomField")[:128],
        payload=dict(payload),
    )


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _exotel_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    exc = body.get("RestException") if isinstance(body, dict) else None
    if isinstance(exc, dict):
        return str(exc.get("Message") or exc)[:500]
    return json.dumps(body)[:500]


class ExotelProvider:
    name = "exotel"

    def __init__(
        self,
        *,
        base_url: str,
        sid: str,
        api_key: str,
        api_token: str,
        caller_id: str,
        flow_url: str = "",
        time_limit: int = 600,
        time_out: int = 30,
        http_timeout: tuple[float, float] = (5.0, 20.0),
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.sid = sid
        self.caller_id = caller_id
        self.flow_url = flow_url
        self.time_limit = time_limit
        self.time_out = time_out
        self.http_timeout = http_timeout
        self.http = session or requests.Session()
        self.http.auth = (api_key, api_token)
        self.http.headers["Accept"] = "application/json"

    @classmethod
    def from_settings(cls) -> ExotelProvider:
        return cls(
            base_url=settings.EXOTEL_BASE_URL,
            sid=settings.EXOTEL_SID,
            api_key=settings.EXOTEL_API_KEY,
            api_token=settings.EXOTEL_API_TOKEN,
            caller_id=settings.EXOTEL_CALLER_ID,
            flow_url=settings.EXOTEL_FLOW_URL,
            time_limit=settings.EXOTEL_TIME_LIMIT,
            time_out=settings.EXOTEL_TIME_OUT,
        )

    def _url(self, path: str) -> str:
        return f"{self.base_url}/v1/Accounts/{self.sid}/{path}"

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.http.request(method, url, timeout=self.http_timeout, **kwargs)
        except requests.Timeout as exc:
            raise ProviderUnavailable(f"Exotel timed out: {exc}") from exc
        except requests.ConnectionError as exc:
            raise ProviderUnavailable(f"Exotel unreachable: {exc}") from exc
        if response.status_code == 429:
            raise ProviderRateLimited(
                f"Exotel rate limit: {_exotel_message(response)}",
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
            )
        if response.status_code >= 500:
            raise ProviderUnavailable(f"Exotel HTTP {response.status_code}: {_exotel_message(response)}")
        if response.status_code == 404:
            raise ProviderCallNotFound(f"Exotel HTTP 404: {_exotel_message(response)}", status_code=404, body=response.text[:2000])
        if response.status_code >= 400:
            raise ProviderRejected(
                f"Exotel HTTP {response.status_code}: {_exotel_message(response)}",
                status_code=response.status_code,
                body=response.text[:2000],
            )
        try:
            body = response.json()
        except ValueError:
            raise ProviderUnavailable(f"Exotel answered HTTP {response.status_code} without JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("Call"), dict) or not body["Call"].get("Sid"):
            raise ProviderUnavailable(f"Exotel answered without Call.Sid: {str(body)[:300]}")
        return response

    def place_call(self, request: PlaceCallRequest) -> PlacedCall:
        form = {
            "From": request.customer_number,
            "CallerId": self.caller_id,
            "TimeLimit": str(self.time_limit),
            "TimeOut": str(self.time_out),
            "CustomField": str(request.session_id),
            "StatusCallback": request.status_callback_url,
            "StatusCallbackEvents[0]": "terminal",
            "StatusCallbackEvents[1]": "answered",
            "StatusCallbackContentType": "multipart/form-data",
        }
        if request.agent_number:
            form["To"] = request.agent_number
        elif self.flow_url:
            form["Url"] = self.flow_url
        else:
            raise ProviderRejected("neither an agent number nor EXOTEL_FLOW_URL is set: nothing to connect the customer to")
        response = self._send("POST", self._url("Calls/connect.json"), data=form)
        call = response.json()["Call"]
        return PlacedCall(call_sid=str(call["Sid"]), status=str(call.get("Status") or "queued"), raw=call)

    def after_call_stored(self, *, session_id: int, call_sid: str) -> None:
        """Exotel reports progress through its callbacks; nothing to start."""

    def fetch_call(self, call_sid: str) -> CallDetails:
        response = self._send("GET", self._url(f"Calls/{call_sid}.json"), params={"details": "true"})
        call = response.json()["Call"]
        details = call.get("Details") or {}
        # Shape it like a terminal callback so one code path applies both;
        # who was called and when (From, To, DateCreated) are what
        # reconciliation checks before it binds an unknown sid to a session.
        payload = {
            "CallSid": call.get("Sid") or call_sid,
            "Status": call.get("Status") or "",
            "From": call.get("From") or "",
            "To": call.get("To") or "",
            "DateCreated": call.get("DateCreated") or "",
            "PhoneNumberSid": call.get("PhoneNumberSid") or "",
            "DateUpdated": call.get("DateUpdated") or "",
            "RecordingUrl": call.get("RecordingUrl") or "",
            "StartTime": call.get("StartTime") or "",
            "EndTime": call.get("EndTime") or "",
            "EventType": "details",
            "Source": "call-details-api",
            "Details": details,
        }
        if details.get("ConversationDuration") is not None:
            payload["ConversationDuration"] = details["ConversationDuration"]
        if details.get("Legs"):
            payload["Legs"] = details["Legs"]
        if call.get("CustomField"):
            payload["CustomField"] = call["CustomField"]
        return CallDetails(call_sid=payload["CallSid"], payload=payload)
