"""Backfill customer details from the CSV export (seed 000), then print the statistics."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from details.csv_import import CsvColumnsError, customer_details_import_csv
from details.selectors import customer_details_statistics, format_statistics

DEFAULT_CSV = Path(settings.BASE_DIR) / "var" / "customer_details_full.csv"
MAX_ERRORS_SHOWN = 50


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


class Command(BaseCommand):
    help = (
        "Upsert customer details by run_id from a CSV export (re-runs change nothing), "
        "then print coverage statistics. --verify-only prints the statistics and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv-file", type=Path, default=None, help=f"the export to load (default: {DEFAULT_CSV})")
        parser.add_argument(
            "--verify-only", action="store_true",
            help="write nothing; print the table's statistics (and, with --csv-file, check the file and say what would change)",
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per upsert (default 5000)")

    def handle(self, *args, csv_file: Path | None, verify_only: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if verify_only and csv_file is None:
            self._print_statistics()
            return
        path = csv_file or DEFAULT_CSV
        if not path.is_file():
            raise CommandError(f"CSV file not found: {path}")
        with tqdm(total=_count_lines(path), unit="rows", desc="customer details", disable=options["verbosity"] < 1,
                  file=self.stderr._out) as bar:
            try:
                report = customer_details_import_csv(path=path, batch_size=batch_size, dry_run=verify_only, progress=bar.update)
            except CsvColumnsError as exc:
                raise CommandError(str(exc)) from None
            except UnicodeDecodeError as exc:
                raise CommandError(f"{path}: not UTF-8 text ({exc})") from None

        verb = "would be" if verify_only else ""
        self.stdout.write(f"{path}: {report.rows_read:,} rows read")
        self.stdout.write(
            f"  inserted {verb} {report.inserted:,} · updated {verb} {report.updated:,} · unchanged {report.unchanged:,} · "
            f"unreadable {len(report.errors):,} · duplicate run_ids {report.duplicates:,}".replace("  ", " ")
        )
        if report.ignored_columns:
            self.stdout.write(f"  ignored columns: {', '.join(report.ignored_columns)}")
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(f"  {error}")
        if len(report.errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(f"  … and {len(report.errors) - MAX_ERRORS_SHOWN:,} more unreadable rows")
        if verify_only:
            self.stdout.write("verify only: nothing was written")
        self._print_statistics()

    def _print_statistics(self):
        self.stdout.write(format_statistics(customer_details_statistics()))
