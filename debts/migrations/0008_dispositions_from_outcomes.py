"""The disposition list, and every communication log's free-text outcome read
as one of its codes.

The outcomes seen in the data ("Promise to pay", "payment_promised", "PTP",
"no answer"…) map to one code each; an outcome no alias knows becomes
``other`` and its text moves into the note, so nothing is lost. Frozen here
(not imported from the app) so the migration reads the same forever.
"""
import re

from django.db import migrations

DISPOSITIONS = [
    # code, label, right-party contact, needs a next action date, order
    ("payment_promised", "Promise to pay", True, False, 10),
    ("payment_made", "Payment made", True, False, 20),
    ("callback_requested", "Call back later", True, True, 30),
    ("connected", "Spoke to customer", True, False, 40),
    ("refused", "Refused to pay", True, False, 50),
    ("dispute", "Dispute", True, True, 60),
    ("no_answer", "No answer", False, False, 70),
    ("busy", "Busy", False, False, 80),
    ("voicemail", "Voicemail", False, False, 90),
    ("wrong_number", "Wrong number", False, False, 100),
    ("failed", "Call failed", False, False, 110),
    ("canceled", "Canceled", False, False, 120),
    ("delivered", "Message delivered", False, False, 130),
    ("other", "Other", False, False, 900),
]

ALIASES = {
    "promise_to_pay": "payment_promised", "ptp": "payment_promised", "promised": "payment_promised",
    "promised_to_pay": "payment_promised", "promise": "payment_promised",
    "paid": "payment_made", "payment": "payment_made",
    "call_back": "callback_requested", "callback": "callback_requested", "call_back_later": "callback_requested",
    "answered": "connected", "completed": "connected", "spoke_to_customer": "connected", "contacted": "connected",
    "refused_to_pay": "refused", "disputed": "dispute",
    "not_answered": "no_answer", "noanswer": "no_answer", "no_response": "no_answer", "unanswered": "no_answer",
    "cancelled": "canceled", "voice_mail": "voicemail", "wrong_no": "wrong_number", "sent": "delivered",
}


def code_for(text: str, codes: set[str]) -> str | None:
    key = re.sub(r"[^a-z0-9]+", "_", (text or "").strip().lower()).strip("_")
    if not key:
        return None
    key = ALIASES.get(key, key)
    return key if key in codes else None


def forwards(apps, schema_editor):
    Disposition = apps.get_model("debts", "Disposition")
    CommunicationLog = apps.get_model("debts", "CommunicationLog")
    by_code = {}
    for code, label, rpc, needs_next, order in DISPOSITIONS:
        by_code[code], _ = Disposition.objects.get_or_create(
            code=code, defaults={"label": label, "is_right_party_contact": rpc, "needs_next_action": needs_next, "sort_order": order}
        )
    # One UPDATE per distinct outcome, however many logs share it.
    for outcome in CommunicationLog.objects.exclude(outcome="").values_list("outcome", flat=True).distinct().order_by():
        code = code_for(outcome, set(by_code))
        logs = CommunicationLog.objects.filter(outcome=outcome, disposition__isnull=True)
        if code:
            logs.update(outcome=code, disposition=by_code[code])
            continue
        for log in logs.only("id", "notes"):
            note = f"Outcome (free text before dispositions): {outcome}"
            log.notes = f"{log.notes}\n{note}" if log.notes else note
            log.outcome, log.disposition = "other", by_code["other"]
            log.save(update_fields=["notes", "outcome", "disposition"])


def backwards(apps, schema_editor):
    apps.get_model("debts", "CommunicationLog").objects.update(disposition=None)


class Migration(migrations.Migration):

    dependencies = [("debts", "0007_workbench_dispositions_approvals")]

    operations = [migrations.RunPython(forwards, backwards)]
