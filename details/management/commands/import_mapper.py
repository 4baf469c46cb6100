"""Load a mapper.csv (seed 004 columns) into customer details, so statement
imports know each request's run_id, account, provider and RM.

    python manage.py import_mapper FILE
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from details.mapper_import import MapperFileError, mapper_load


class Command(BaseCommand):
    help = "Load mapper.csv rows (run_id, acc_number, acc_prvdr_code, rm_name, ...) into customer details."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")

    def handle(self, *args, **options):
        try:
            result = mapper_load(path=Path(options["file"]))
        except MapperFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.rows} row(s): {result.created} new, {result.updated} updated, {result.unchanged} unchanged, "
                f"{result.skipped} kept (already filled from the CSV export, the core database or by staff)"
            )
        )
