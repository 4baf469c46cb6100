"""Give transactions processed before issue 18 their counterparty number and
name, and their statements' summaries the top payer and payee (the
unified_statements view carries them). Idempotent: run it again and it
writes nothing."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from statements.services import counterparties_backfill
from statements.services.counterparties import MAX_BACKFILL_BATCH


class Command(BaseCommand):
    help = (
        "Fill counterparty_number / counterparty_name of processed transactions that have neither, then the "
        "summaries' top payer and payee. Batched (--batch-size rows per transaction), idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="rows (and statements) per batch, one transaction each (default 2000)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, CI)")

    def handle(self, *args, batch_size: int, no_progress: bool, **options):
        if not 1 <= batch_size <= MAX_BACKFILL_BATCH:
            raise CommandError(f"--batch-size must be at least 1 and at most {MAX_BACKFILL_BATCH:,}")
        disabled = no_progress or options["verbosity"] < 1
        bars: dict[str, tqdm] = {}

        def progress(phase: str, n: int) -> None:
            if phase not in bars:
                for bar in bars.values():
                    bar.close()
                bars[phase] = tqdm(unit=phase, desc=f"backfill {phase}", disable=disabled, file=self.stderr._out, dynamic_ncols=True)
            bars[phase].update(n)

        try:
            summary = counterparties_backfill(batch_size=batch_size, progress=progress)
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            f"{summary.rows_scanned:,} processed rows without a counterparty read, {summary.rows_filled:,} filled; "
            f"{summary.statements_updated:,} statement summaries given their top payer / payee"
        )
