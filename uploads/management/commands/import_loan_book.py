"""Import a loan book from the command line, with a progress bar and a summary.

    manage.py import_loan_book FILE [--dry-run] [--json] [--region UG] [--user NAME]
    manage.py import_loan_book --resume UPLOAD_ID

Same service as the admin and the API: the file is stored, recorded as a
FileUpload, and imported chunk by chunk (here, in this process, so the bar
moves). Run on the server, the command may change known loans' balances
(the operator has the server); with ``--user NAME`` it has that user's
rights, so without ``debts.sync_balances`` such lines wait for review.
``--region`` is the phone region of numbers written without a country code
(seed 003's Indian sample: ``--region IN``). ``--dry-run`` runs the whole import and rolls it back: the counts
are what a real import would do, nothing is kept.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from uploads.models import FileUpload
from uploads.services import (
    ImportCounts,
    UploadRejected,
    file_upload_create,
    file_upload_process,
    import_chunk_size,
)


class _DryRunRollback(Exception):
    pass


class Command(BaseCommand):
    help = "Import a loan-book CSV/XLSX: customers matched or created, loans matched by loan_id, every line tracked."
    # Run from cron and scripts, as import_statements is: the full system
    # checks (every model, the URLconf, every admin) cost ~0.75 s and ~90 MB
    # at start and check nothing this command needs (`manage.py check` and
    # CI run them).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Path to a .csv or .xlsx loan book")
        parser.add_argument("--dry-run", action="store_true", help="Validate and match everything, then roll back")
        parser.add_argument("--json", action="store_true", help="Print the final counts as JSON (no progress bar)")
        parser.add_argument("--region", help="Region for phone numbers without a country code (default: PHONE_DEFAULT_REGION)")
        parser.add_argument("--user", help="Username recorded as the uploader")
        parser.add_argument("--resume", type=int, metavar="UPLOAD_ID", help="Continue an interrupted upload after its last committed chunk")
        parser.add_argument("--chunk-size", type=int, help="Lines per transaction (default: UPLOAD_CHUNK_SIZE)")

    def handle(self, *args, **options):
        if options["resume"] and options["file"]:
            raise CommandError("give either FILE or --resume UPLOAD_ID, not both")
        try:
            import_chunk_size(options["chunk_size"])  # before any upload is created or counted
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["resume"]:
            if not FileUpload.objects.filter(pk=options["resume"]).exists():
                raise CommandError(f"upload #{options['resume']} does not exist")
            upload = self._process(options["resume"], None, options)
            return self._report(upload, options, dry_run=False)
        path = options["file"]
        if not path:
            raise CommandError("give the loan book FILE to import (or --resume UPLOAD_ID)")
        if not os.path.isfile(path):
            raise CommandError(f"{path}: no such file")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['user']!r}")
        label = f"import_loan_book ({os.environ.get('USER', 'shell')})"
        with open(path, "rb") as handle:
            try:
                if options["dry_run"]:
                    try:
                        with transaction.atomic():
                            upload = file_upload_create(
                                fileobj=handle, filename=path, uploaded_by=user, uploaded_by_label=label,
                                phone_region=options["region"], store=False, enqueue=False, may_sync_balances=True if user is None else None,
                            )
                            upload = self._process(upload.pk, handle, options)
                            raise _DryRunRollback
                    except _DryRunRollback:
                        pass
                    return self._report(upload, options, dry_run=True)
                upload = file_upload_create(
                    fileobj=handle, filename=path, uploaded_by=user, uploaded_by_label=label,
                    phone_region=options["region"], enqueue=False, may_sync_balances=True if user is None else None,
                )
            except UploadRejected as exc:
                raise CommandError(str(exc)) from None
        upload = self._process(upload.pk, None, options)
        self._report(upload, options, dry_run=False)

    def _process(self, upload_id, source, options) -> FileUpload:
        bars = []

        def progress(processed: int, total: int) -> None:
            if options["json"]:
                return
            if not bars:  # created once the total is counted, so it starts as "0/N"
                bars.append(tqdm(total=total, unit="rows", desc=f"upload #{upload_id}", file=self.stderr._out, dynamic_ncols=True))
            bars[0].total = total
            bars[0].n = processed
            bars[0].refresh()

        try:
            return file_upload_process(upload_id=upload_id, source=source, progress=progress, chunk_size=options["chunk_size"])
        finally:
            for bar in bars:
                bar.close()

    def _report(self, upload: FileUpload, options, *, dry_run: bool) -> None:
        counts = asdict(ImportCounts.of(upload))
        counts["upload_id"] = None if dry_run else upload.pk
        counts["dry_run"] = dry_run
        if upload.processing_errors:
            counts["error"] = upload.processing_errors
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        title = "Dry run (nothing saved)" if dry_run else f"Upload #{upload.pk}"
        self.stdout.write(f"{title}: {upload.filename} — {upload.get_status_display()}")
        if upload.duplicate_of_id:
            self.stdout.write(f"  same file as upload #{upload.duplicate_of_id}: lines imported then are skipped")
        for label, key in (
            ("lines", "total"), ("customers created", "customers_created"), ("customers matched", "customers_matched"),
            ("debts created", "debts_created"), ("debts updated", "debts_updated"), ("skipped (already imported)", "skipped"),
            ("waiting for review", "review"), ("failed", "failed"),
        ):
            self.stdout.write(f"  {label:<28}{counts[key]:>10,}")
        if upload.processing_errors:
            self.stdout.write(self.style.ERROR(f"  {upload.processing_errors}"))
        if upload.failed_records and not dry_run:
            self.stdout.write(f"  failed lines: admin › uploads › #{upload.pk}, or GET /api/v1/uploads/{upload.pk}/rows/?status=failed")
        if upload.status == "failed":
            raise CommandError(upload.processing_errors or "the upload failed")
