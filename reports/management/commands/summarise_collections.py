"""``manage.py summarise_collections``: bring the collections summary up to date."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reports.services import collection_summary_refresh


class Command(BaseCommand):
    help = (
        "Sum each day's completed payments against the snapshots collection efficiency and the agents report read them by "
        "(the collections summary): the days not summed yet up to yesterday, and again the days with a payment saved since "
        "the last run and those whose snapshot was taken again. Also run every 15 minutes by Celery beat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args, **options):
        bar = tqdm(unit="pair", desc="pairs", disable=options["no_progress"], file=self.stderr._out)
        try:
            run = collection_summary_refresh(progress=bar.update)
        finally:
            bar.close()
        if run is None:
            raise CommandError("Another summarise_collections run is in progress; nothing was done.")
        self.stdout.write(self.style.SUCCESS(
            f"Collections summary: {run.days_built} (snapshot, day) pairs summed, {run.changed_days} days with changed payments, "
            f"{run.days_dropped} pairs of deleted snapshot dates dropped, in {run.seconds:.1f}s."
        ))
