"""Place the calls that are due, now (the dispatcher beat runs every minute).

In development (no broker, no beat) this is how calls scheduled for later —
outside calling hours, after a 429 or a 5xx — get placed.
"""
import time

from django.core.management.base import BaseCommand

from calls import selectors, services


class Command(BaseCommand):
    help = "Place due scheduled calls through the telephony provider, at the shared rate limit."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="Most calls to place per round")
        parser.add_argument("--loop", action="store_true", help="Keep going every --interval seconds until interrupted")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args, limit, loop, interval, **options):
        while True:
            outcomes: dict[str, int] = {}
            for session_id in selectors.calls_due_for_dispatch(limit=limit):
                result = services.call_session_dispatch(session_id=session_id)
                outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
            self.stdout.write(", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing due")
            if not loop:
                return
            time.sleep(interval)
