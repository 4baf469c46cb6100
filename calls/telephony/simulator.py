"""A telephony provider that needs no network (the development default).

It accepts every call at once and then plays a realistic lifecycle — an
``answered`` event, then a ``terminal`` one with a duration and a recording —
through the very function Exotel's webhook calls, so the demo exercises the
same code as production. The outcome depends on the session id, so a demo
batch shows a believable mix of answered, unanswered, busy and failed calls.
"""
from __future__ import annotations

import uuid

from django.utils import timezone

from calls.models import CallSession
from calls.telephony.base import CallDetails, PlaceCallRequest, PlacedCall, ProviderCallNotFound
from core.tasks import enqueue_task

# Ten outcomes, picked by session id: 60 % answered.
_OUTCOMES = ("completed", "completed", "no-answer", "completed", "busy", "completed", "completed", "no-answer", "completed", "failed")


def simulated_outcome(session_id: int) -> str:
    return _OUTCOMES[session_id % len(_OUTCOMES)]


def simulated_callbacks(*, session_id: int, call_sid: str, customer_number: str) -> list[dict]:
    """The callbacks Exotel would POST for this call, in order."""
    outcome = simulated_outcome(session_id)
    # Exotel sends whole seconds in its own timezone; the simulator plays a
    # call within the same second in eager mode, so it sends an ISO time
    # with microseconds and offset (which the parser also reads) to keep the
    # history in order.
    now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(330)).isoformat()
    common = {"CallSid": call_sid, "DateUpdated": now, "CustomField": str(session_id), "From": customer_number, "Direction": "outbound-api"}
    events = []
    if outcome == "completed":
        duration = 20 + (session_id * 37) % 160
        events.append({**common, "EventType": "answered", "Status": "in-progress"})
        events.append(
            {
                **common,
                "EventType": "terminal",
                "Status": "completed",
                "ConversationDuration": str(duration),
                "RecordingUrl": f"https://recordings.simulator.invalid/{call_sid}.mp3",
                "Legs": [{"OnCallDuration": duration + 4, "Status": "completed"}, {"OnCallDuration": duration, "Status": "completed"}],
            }
        )
    else:
        events.append({**common, "EventType": "terminal", "Status": outcome, "ConversationDuration": "0", "RecordingUrl": "",
                       "Legs": [{"OnCallDuration": 0, "Status": outcome}]})
    return events


class SimulatorProvider:
    name = "simulator"

    def place_call(self, request: PlaceCallRequest) -> PlacedCall:
        sid = "sim" + uuid.uuid4().hex
        return PlacedCall(call_sid=sid, status="queued", raw={"Sid": sid, "Status": "queued", "From": request.customer_number, "Simulated": True})

    def after_call_stored(self, *, session_id: int, call_sid: str) -> None:
        # Queued by name: calls.tasks imports the services that call this
        # provider, so importing the task here would close a circle.
        enqueue_task("calls.tasks.simulate_call_lifecycle", session_id)

    def fetch_call(self, call_sid: str) -> CallDetails:
        session = CallSession.objects.filter(call_sid=call_sid).only("id", "to_number").first()
        if session is None:
            raise ProviderCallNotFound(f"simulator has no call {call_sid}")
        terminal = simulated_callbacks(session_id=session.id, call_sid=call_sid, customer_number=session.to_number)[-1]
        return CallDetails(call_sid=call_sid, payload={**terminal, "EventType": "details", "Source": "simulator"})
