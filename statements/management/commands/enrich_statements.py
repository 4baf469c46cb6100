"""Give existing statements their customer details, cust_id, customer and RM (seed 000)."""
from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from details import flow_api
from statements.enrichment import statements_enrich_many
from statements.models import Statement


class Command(BaseCommand):
    help = (
        "Enrich statements with customer details: local table, then the core database, then mapper.csv. "
        "--missing-only skips statements already enriched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--missing-only", action="store_true", help="only statements without details or still pending")
        parser.add_argument("--batch-size", type=int, default=2000, help="statements per batch (default 2000)")

    def handle(self, *args, missing_only: bool, batch_size: int, **options):
        if not flow_api.is_configured():
            self.stderr.write(f"{flow_api.FlowApiNotConfigured()} — using the local table and mapper.csv only")
        qs = Statement.objects.all()
        with tqdm(unit="statements", desc="enrich", disable=options["verbosity"] < 1, file=self.stderr._out) as bar:
            summary = statements_enrich_many(
                queryset=qs, missing_only=missing_only, batch_size=max(batch_size, 1),
                progress=lambda n: bar.update(n),
            )
        self.stdout.write(
            f"{summary.total:,} statements: {summary.enriched:,} enriched, {summary.pending:,} pending (core database), "
            f"{summary.unknown:,} unknown run_id, {summary.no_run_id:,} without run_id; {summary.changed:,} updated; "
            f"{summary.core_queries} queries to the core database"
        )
        if summary.core_error:
            self.stderr.write(f"core database: {summary.core_error}")
