"""``manage.py snapshot_portfolio [--as-of DATE]``: take (or repeat) a portfolio snapshot."""
from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Max, Min
from tqdm import tqdm

from debts.models import Debt
from reports.services import DEFAULT_BATCH_SIZE, portfolio_snapshot_take, portfolio_summary_rebuild
from reports.services.snapshots import partitioned, portfolio_snapshots_partition


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date in the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Write the portfolio snapshot of a date (default today): one row per debt with its balance, "
        "days-past-due bucket, status and assignee. Re-running a date replaces that date. A past date "
        "is rebuilt from the debts' history as of the end of that day; a debt with no history by then "
        "is recorded as it stands now (the command says how many)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="The snapshot date (YYYY-MM-DD); default: today in TIME_ZONE. "
                            "A past date is rebuilt from the debts' history.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help=f"Debt ids per INSERT … SELECT (default {DEFAULT_BATCH_SIZE}).")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")
        parser.add_argument("--partition", action="store_true",
                            help="Only partition portfolio_snapshots by date (MariaDB), if a database applied migration "
                                 "reports.0004 before it did so; copies the table once.")
        parser.add_argument("--summary-only", action="store_true",
                            help="Only rebuild the date's summary rows from its snapshot rows (the debts are not read again).")

    def handle(self, *args, **options):
        as_of = _date(options["as_of"], "--as-of") if options["as_of"] else None
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["partition"]:
            if connection.vendor != "mysql":
                raise CommandError("--partition is for MariaDB / MySQL; this database keeps a plain table")
            done = portfolio_snapshots_partition()
            self.stdout.write(self.style.SUCCESS(
                "portfolio_snapshots partitioned by date." if done else "portfolio_snapshots was already partitioned."
            ))
            return
        if options["summary_only"]:
            if as_of is None:
                raise CommandError("--summary-only needs --as-of")
            written = portfolio_summary_rebuild(as_of=as_of)
            self.stdout.write(self.style.SUCCESS(f"Summary of {as_of}: {written} rows written."))
            return
        bounds = Debt.objects.aggregate(lo=Min("id"), hi=Max("id"))
        span = (bounds["hi"] - bounds["lo"] + 1) if bounds["lo"] is not None else 0
        bar = tqdm(total=span, unit="id", desc="debts", disable=options["no_progress"] or span == 0, file=self.stderr._out)
        try:
            result = portfolio_snapshot_take(as_of=as_of, batch_size=options["batch_size"], progress=bar.update)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(
            f"Snapshot of {result.as_of}: {result.rows_written} debts written ({result.summary_rows} summary rows)"
            + (f" ({result.rows_deleted} rows of that date replaced)" if result.rows_deleted else "")
            + (f", month-over-month from {result.previous_month_end}" if result.previous_month_end else ", no earlier month to roll from")
            + f", in {result.seconds:.1f}s."
        ))
        if result.method == "in_place" and connection.vendor == "mysql" and not partitioned():
            self.stdout.write(self.style.WARNING(
                "portfolio_snapshots is not partitioned here, so replacing a date deletes its rows one by one: "
                "this database applied migration reports.0004 before it partitioned the table; partition it with "
                "`python manage.py snapshot_portfolio --partition`."
            ))
        if result.from_history:
            self.stdout.write(f"{result.history_rows} rebuilt from history as of the end of {result.as_of}.")
            if result.fallback_rows:
                n = result.fallback_rows
                self.stdout.write(self.style.WARNING(
                    f"{n} debt{'s' if n != 1 else ''} with no history by then, recorded as it stands now "
                    "(the debts table keeps no past states)."
                ))
