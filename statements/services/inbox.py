"""The inbox folder: statement files dropped into ``STATEMENT_INBOX_DIR``
(by a scanner, an FTP upload, a person) are imported on a schedule.

The beat task ``scan_statement_inbox`` calls ``statement_inbox_scan``; each
claimed file then goes through an ordinary import job, which moves it to
``done/`` or ``failed/`` once recorded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from statements.choices import ImportTrigger
from statements.models import StatementImport
from statements.services._inbox_folder import inbox_claim, inbox_dir, inbox_min_age
from statements.services.jobs import statement_import_job_create


@dataclass
class InboxScan:
    job: StatementImport | None = None
    claimed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


def statement_inbox_scan(*, directory: Path | None = None, min_age_seconds: float | None = None) -> InboxScan:
    """Claim the settled files in the inbox and start one import job for them.

    Files are first moved into ``processing/<batch>/`` (an atomic rename, so
    two scans running at once can never both take a file) and from there to
    ``done/`` or ``failed/`` as each is imported. Files still being written,
    hidden files and the three sub-folders are left alone.
    """
    folder = Path(directory) if directory else inbox_dir()
    min_age = inbox_min_age() if min_age_seconds is None else min_age_seconds
    scan = InboxScan()
    if not folder.is_dir():
        return scan
    claimed, scan.waiting = inbox_claim(folder, min_age)
    scan.claimed = [p.name for p in claimed]
    if claimed:
        scan.job = statement_import_job_create(files=claimed, trigger=ImportTrigger.INBOX, started_by_label=f"Inbox {folder}")
    return scan
