"""One file of an import job: where it is, which statement request it
belongs to, through the storage service and the enrichment, and what came
of it. Also the dry run of one file (``import_statements --dry-run``).

The import command's worker processes call ``statement_import_job_file``
directly; ``jobs`` calls it for the Celery task.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.core.files.storage import default_storage

from details.mapper import MapperError, mapper_lookup
from details.models import CustomerDetails
from statements.choices import StatementStatus
from statements.engine.errors import StatementError
from statements.enrichment import statement_enrich
from statements.models import Statement, StatementImport
from statements.services.storage import statement_check_file, statement_import_file

logger = logging.getLogger(__name__)

PENDING, IMPORTED, DUPLICATE, FAILED = "pending", "imported", "duplicate", "failed"
# Statement requests' run_ids are PHP uniqid()s: 13 hex digits.
_UNIQID = re.compile(r"^[0-9a-f]{13}$")


@dataclass
class FileOutcome:
    """What happened to one file of a job (stored in ``StatementImport.results``)."""

    index: int
    file_name: str
    outcome: str = PENDING
    statement_id: int | None = None
    statement_status: str = ""
    duplicate_of: int | None = None
    error: str = ""
    enriched: bool = False
    seconds: float = 0.0
    moved_to: str = ""

    def as_result(self, entry: dict) -> dict:
        return {**entry, **{k: v for k, v in asdict(self).items() if k != "index"}}


def _run_id_for(file_name: str, hint: str) -> str:
    """The statement request a file belongs to: the job's hint, else the file
    name when it is a run_id (statement requests store their file under
    ``<provider>/<run_id>``, the request's ``object_key``)."""
    if hint:
        return hint
    stem = Path(file_name).name.split(".")[0].strip()
    if not stem:
        return ""
    if _UNIQID.match(stem.lower()):
        return stem
    if CustomerDetails.objects.filter(run_id=stem).exists():
        return stem
    try:
        return stem if mapper_lookup(stem) else ""
    except (MapperError, OSError):
        return ""


def statement_request_hints(run_id: str) -> tuple[str, str]:
    """(provider, acc_number) the statement request knows: an MTN export does
    not carry its account number (STATEMENT_FORMATS.md), and a request's
    provider code may be one PROVIDER_FAMILIES maps (UMTN2). Every door that
    takes a run_id reads the file with these (import jobs, ``/statements/import/``)."""
    if not run_id:
        return "", ""
    row = CustomerDetails.objects.filter(run_id=run_id).values("acc_prvdr_code", "acc_number").first()
    if row is None:
        try:
            row = mapper_lookup(run_id)
        except (MapperError, OSError):
            row = None
    if not row:
        return "", ""
    return (row.get("acc_prvdr_code") or "").upper(), row.get("acc_number") or ""


def _local_path(entry: dict) -> tuple[Path, bool]:
    """A path the engine can read, and whether it is a temporary copy."""
    if entry.get("path"):
        return Path(entry["path"]), False
    name = entry["storage_name"]
    try:
        return Path(default_storage.path(name)), False
    except NotImplementedError:  # remote storage: copy to a temporary file
        suffix = Path(name).suffix
        handle, tmp = tempfile.mkstemp(suffix=suffix, prefix="stmt-import-")
        with os.fdopen(handle, "wb") as out, default_storage.open(name, "rb") as src:
            shutil.copyfileobj(src, out)
        return Path(tmp), True


def statement_import_job_file(*, job_id: int, index: int, provider: str = "", run_id: str = "") -> FileOutcome:
    """Import file ``index`` of job ``job_id``: store it through the engine
    and enrich the statement. Never raises for a bad file — the outcome says
    what happened. Safe to call from a worker process."""
    job = StatementImport.objects.only("id", "provider_hint", "run_id_hint", "results", "trigger").get(pk=job_id)
    entry = job.results[index]
    outcome = FileOutcome(index=index, file_name=entry["file_name"])
    started = time.monotonic()
    try:
        path, temporary = _local_path(entry)
    except (OSError, KeyError) as exc:
        outcome.outcome, outcome.error = FAILED, f"file not readable: {exc}"
        return outcome
    try:
        run_id = _run_id_for(entry["file_name"], run_id or job.run_id_hint)
        request_provider, acc_number = statement_request_hints(run_id)
        _engine_store(
            outcome, path=path, file_name=entry["file_name"], job=job,
            provider=provider or job.provider_hint or request_provider, run_id=run_id, acc_number=acc_number,
        )
    finally:
        if temporary:
            path.unlink(missing_ok=True)
    if outcome.outcome == IMPORTED and outcome.statement_id:
        outcome.enriched = statement_enrich_by_id(outcome.statement_id)
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome


def _engine_store(outcome: FileOutcome, *, path: Path, file_name: str, job, provider: str, run_id: str, acc_number: str) -> None:
    """Hand one file to the engine's storage service and fill in ``outcome``."""
    try:
        result = statement_import_file(
            path=path, file_name=file_name, provider=provider or None, run_id=run_id, acc_number=acc_number or None, import_job=job
        )
    except Exception as exc:  # the rest of the batch carries on
        logger.exception("import job %s: %s could not be stored", job.pk, file_name)
        outcome.outcome, outcome.error = FAILED, f"{type(exc).__name__}: {exc}"
        return
    statement = result.statement
    outcome.statement_id = statement.pk
    outcome.statement_status = statement.status
    if result.duplicate:
        outcome.outcome, outcome.duplicate_of = DUPLICATE, statement.pk
        outcome.error = f"same file (SHA-256) as statement #{statement.pk}"
    elif statement.status == StatementStatus.IMPORT_FAILED:
        outcome.outcome, outcome.error = FAILED, statement.failure_reason
    else:
        outcome.outcome = IMPORTED


def statement_enrich_by_id(statement_id: int) -> bool:
    """Enrich statement ``statement_id``; True when it now has customer details."""
    statement = Statement.objects.get(pk=statement_id)
    statement_enrich(statement=statement)
    return statement.customer_details_id is not None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def statement_file_check(*, path: Path, provider: str = "", run_id: str = "") -> dict:
    """Parse and verify one file without storing anything (``--dry-run``):
    what the import would do with it. Reads the database only to say whether
    the same file is already stored."""
    path = Path(path)
    result = {"file_name": path.name, "outcome": "ok", "error": ""}
    try:
        sha = file_sha256(path)
    except OSError as exc:
        return {**result, "outcome": FAILED, "error": f"file not readable: {exc}"}
    existing = Statement.objects.filter(file_sha256=sha).values_list("pk", flat=True).first()
    if existing:
        return {**result, "outcome": DUPLICATE, "error": f"same file (SHA-256) as statement #{existing}"}
    run_id = _run_id_for(path.name, run_id)
    request_provider, acc_number = statement_request_hints(run_id)
    try:
        # The engine's parse + verify, with no database (what ``parse_statement`` runs).
        checked = statement_check_file(path=path, provider=(provider or request_provider) or None, acc_number=acc_number or None)
    except StatementError as exc:
        return {**result, "outcome": FAILED, "error": f"{getattr(exc, 'code', 'unreadable')}: {exc}"}
    except Exception as exc:
        return {**result, "outcome": FAILED, "error": f"{type(exc).__name__}: {exc}"}
    summary = checked.summary
    return {
        **result,
        "provider": checked.parsed.provider,
        "acc_number": checked.parsed.acc_number or acc_number,
        "run_id": run_id,
        "transactions": len(checked.transactions),
        "status": checked.status,
        "verification_status": summary.verification_status,
        "tampering_level": summary.tampering_level,
    }
