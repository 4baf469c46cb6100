"""``manage.py update_delinquency``: the nightly delinquency run, on demand."""
from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from tqdm import tqdm

from debts.models import Debt
from debts.services import debts_update_delinquency


class Command(BaseCommand):
    help = (
        "Recompute days past due for every debt, move debts past the threshold to DEFAULTED "
        "and judge due promises to pay kept or broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as of this date (YYYY-MM-DD); default: today in TIME_ZONE.")
        parser.add_argument(
            "--default-after-days", type=int, default=None,
            help=f"Days past due after which a debt defaults (default: DELINQUENCY_DEFAULT_AFTER_DAYS={settings.DELINQUENCY_DEFAULT_AFTER_DAYS}).",
        )
        parser.add_argument("--batch-size", type=int, default=50_000, help="Debt ids per UPDATE (default 50000).")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(f"--today {options['today']!r} is not a date in the form YYYY-MM-DD") from None
        if options["default_after_days"] is not None and options["default_after_days"] < 1:
            raise CommandError("--default-after-days must be at least 1")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        bounds = Debt.objects.aggregate(lo=Min("id"), hi=Max("id"))
        span = (bounds["hi"] - bounds["lo"] + 1) if bounds["lo"] is not None else 0
        bar = tqdm(total=span, unit="id", desc="debts", disable=options["no_progress"] or span == 0, file=self.stderr._out)
        try:
            result = debts_update_delinquency(
                today=today, default_after_days=options["default_after_days"], batch_size=options["batch_size"], progress=bar.update
            )
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(
            f"Delinquency as of {result.today} (default after {result.threshold_days} days): "
            f"{result.debts_scanned} debts scanned, {result.days_past_due_changed} days-past-due changed, "
            f"{result.moved_to_defaulted} moved to DEFAULTED, {result.promises_kept} promises kept, "
            f"{result.promises_broken} broken, in {result.seconds:.1f}s."
        ))
