"""Match stored unknown-CallSid callbacks and ask the provider about calls
whose callbacks never came (what the reconcile beat task does)."""
from django.core.management.base import BaseCommand

from calls import selectors, services


class Command(BaseCommand):
    help = "Reconcile calls stuck in a non-final status with the provider's call-details API."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200)

    def handle(self, *args, limit, **options):
        applied = services.unmatched_callbacks_reconcile(limit=limit)
        outcomes: dict[str, int] = {}
        for session_id in selectors.calls_stuck(limit=limit):
            outcome = services.call_session_reconcile(session_id=session_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        self.stdout.write(f"unmatched callbacks applied: {applied}; stuck calls: " + (", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "none"))
