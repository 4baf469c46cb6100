"""Delete uploaded originals past their retention; the rows stay.

    manage.py purge_originals            # older than UPLOAD_RETENTION_DAYS
    manage.py purge_originals --days 7   # older than 7 days, this once

Loan books (finished uploads) and statements alike. Beat runs the same
service every hour (``purge-uploaded-originals``).
"""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from uploads.services.retention import originals_purge


class Command(BaseCommand):
    help = "Delete loan-book and statement originals older than UPLOAD_RETENTION_DAYS (the rows read from them stay)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"retention in days for this run (default UPLOAD_RETENTION_DAYS, now {settings.UPLOAD_RETENTION_DAYS})")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more")
        removed = originals_purge(retention_days=days)
        self.stdout.write(f"Removed {removed['uploads']} loan-book and {removed['statements']} statement original(s).")
