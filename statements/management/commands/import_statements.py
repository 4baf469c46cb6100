"""Import statement files in bulk, in parallel processes.

    python manage.py import_statements PATH... [--provider UATL|UMTN]
        [--run-id ID] [--workers N] [--dry-run] [--mapper mapper.csv]

PATH is a file or a folder (read recursively). The import is one job row
(trigger "command") processed by the same service as the admin, the API and
the inbox; with ``--workers N`` the files are parsed in N processes and the
parent records each outcome on the job as it arrives. ``--dry-run`` parses
and verifies every file and prints what would happen, storing nothing (no
job, no statement). ``--mapper`` loads a mapper.csv into the customer
details first (as ``import_mapper`` does), so the statements are enriched
from it.
"""
from __future__ import annotations

import getpass
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import django
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm

from details.mapper_import import mapper_load
from statements import services
from statements.choices import ImportTrigger, provider_choices

STATEMENT_SUFFIXES = {".pdf", ".csv", ".gz", ".xls", ".xlsx"}


def _worker_init() -> None:
    """Runs first in every worker process. The parent closed its connections
    before starting the pool, so nothing shared is left open; closing again
    here makes sure a child never talks over a socket it inherited, and
    ``django.setup()`` covers start methods that do not fork."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    for conn in connections.all(initialized_only=True):
        conn.close()


def _import_one(job_id: int, index: int) -> services.FileOutcome:
    return services.statement_import_job_file(job_id=job_id, index=index)


def _dry_run_one(path: str, provider: str, run_id: str) -> dict:
    return services.statement_file_check(path=Path(path), provider=provider, run_id=run_id)


def collect_files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.startswith(".") and any(s in STATEMENT_SUFFIXES for s in p.suffixes)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{raw}: no such file or folder")
    # The same file named twice (or through two folders) is one file.
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


class Command(BaseCommand):
    help = "Import statement files (or folders of them) as one import job, in parallel processes."
    # Run often from cron and scripts: the full system checks (every model,
    # URL and admin) add start-up time and check nothing this command needs.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--provider", type=str.upper, choices=[code for code, _ in provider_choices()],
                            help="Provider hint for every file (else detected); a PROVIDER_FAMILIES code is stored as itself")
        parser.add_argument("--run-id", default="", help="Statement request every file belongs to (else taken from the file name when it is one)")
        parser.add_argument("--workers", type=int, default=1, help="Parallel worker processes (default 1)")
        parser.add_argument("--dry-run", action="store_true", help="Parse and verify only; store nothing")
        parser.add_argument("--mapper", help="mapper.csv to load into customer details before importing")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, CI)")

    def handle(self, *args, **options):
        files = collect_files(options["paths"])
        if not files:
            raise CommandError("No statement files found.")
        workers = max(1, options["workers"])
        provider = options["provider"] or ""
        started = time.monotonic()
        if options["mapper"] and not options["dry_run"]:
            loaded = mapper_load(path=Path(options["mapper"]))
            self.stdout.write(f"mapper: {loaded.created} new, {loaded.updated} updated, {loaded.unchanged} unchanged, {loaded.skipped} kept (better source)")
        if options["dry_run"]:
            counts = self._dry_run(files, provider, options["run_id"], workers, options["no_progress"])
            self._summary(counts, len(files), time.monotonic() - started, dry_run=True)
            return
        job = services.statement_import_job_create(
            files=files,
            trigger=ImportTrigger.COMMAND,
            started_by_label=f"import_statements by {getpass.getuser()} ({workers} worker{'s' if workers > 1 else ''})",
            provider=provider,
            run_id=options["run_id"],
            enqueue=False,
        )
        services.statement_import_job_start(job_id=job.pk)
        counts: Counter = Counter()
        unrecorded: list = []
        last_flush = time.monotonic()
        try:
            with self._progress(len(files), options["no_progress"]) as bar:
                for outcome in self._outcomes(job.pk, services.pending_indexes(job), workers):
                    unrecorded.append(outcome)
                    # Outcomes are written to the job in small batches: one
                    # locked update per half second instead of one per file
                    # keeps this process from slowing the workers down.
                    if time.monotonic() - last_flush >= 0.5:
                        services.statement_import_job_record_many(job_id=job.pk, outcomes=unrecorded)
                        unrecorded, last_flush = [], time.monotonic()
                    counts[outcome.outcome] += 1
                    if outcome.outcome == services.FAILED:
                        self._say(bar, f"FAILED    {outcome.file_name}: {outcome.error}")
                    bar.update(1)
            if unrecorded:
                services.statement_import_job_record_many(job_id=job.pk, outcomes=unrecorded)
                unrecorded = []
        except BaseException as exc:
            if unrecorded:
                services.statement_import_job_record_many(job_id=job.pk, outcomes=unrecorded)
            services.statement_import_job_finish(job_id=job.pk, error=f"interrupted: {type(exc).__name__}: {exc}")
            raise
        job = services.statement_import_job_finish(job_id=job.pk)
        self._summary(counts, len(files), time.monotonic() - started, job=job)

    def _outcomes(self, job_id: int, indexes: list[int], workers: int):
        if workers == 1:
            for index in indexes:
                yield _import_one(job_id, index)
            return
        # Forked children must not share the parent's database sockets.
        connections.close_all()
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"), initializer=_worker_init) as pool:
            futures = [pool.submit(_import_one, job_id, index) for index in indexes]
            for future in as_completed(futures):
                yield future.result()

    def _dry_run(self, files: list[Path], provider: str, run_id: str, workers: int, no_progress: bool) -> Counter:
        counts: Counter = Counter()
        with self._progress(len(files), no_progress) as bar:
            if workers == 1:
                results = (_dry_run_one(str(p), provider, run_id) for p in files)
            else:
                connections.close_all()
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"), initializer=_worker_init)
                results = (f.result() for f in as_completed([pool.submit(_dry_run_one, str(p), provider, run_id) for p in files]))
            try:
                for result in results:
                    counts[result["outcome"]] += 1
                    if result.get("status"):
                        counts[f"status {result['status']}"] += 1
                    line = f"{result['outcome'].upper():9} {result['file_name']}"
                    if result.get("status"):
                        line += f"  {result['provider']} {result['acc_number'] or '?'} {result['transactions']} txns {result['status']} ({result['verification_status']}, tampering {result['tampering_level']})"
                    if result.get("error"):
                        line += f"  {result['error']}"
                    self._say(bar, line)
                    bar.update(1)
            finally:
                if workers > 1:
                    pool.shutdown()
        return counts

    def _say(self, bar, line: str) -> None:
        bar.clear()
        self.stdout.write(line)
        bar.refresh()

    def _progress(self, total: int, disabled: bool):
        return tqdm(total=total, unit="file", disable=disabled, file=self.stderr, dynamic_ncols=True)

    def _summary(self, counts: Counter, total: int, seconds: float, *, job=None, dry_run: bool = False) -> None:
        rate = total / seconds if seconds else 0.0
        head = "Dry run (nothing stored)" if dry_run else f"Import job #{job.pk}: {job.status}"
        self.stdout.write(self.style.SUCCESS(head) if not counts.get(services.FAILED) else self.style.WARNING(head))
        if dry_run:
            self.stdout.write(f"  would import: {counts.get('ok', 0)}, already stored: {counts.get(services.DUPLICATE, 0)}, unreadable: {counts.get(services.FAILED, 0)}")
            for key in sorted(k for k in counts if k.startswith("status ")):
                self.stdout.write(f"    {key[7:]}: {counts[key]}")
        else:
            self.stdout.write(
                f"  imported: {counts.get(services.IMPORTED, 0)}, duplicates: {counts.get(services.DUPLICATE, 0)}, failed: {counts.get(services.FAILED, 0)}"
            )
        self.stdout.write(f"  {total} file(s) in {seconds:.1f}s ({rate:.1f} files/s)")
