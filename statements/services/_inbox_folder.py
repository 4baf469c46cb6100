"""The inbox folder's layout: which files are ready, and where they go.

``STATEMENT_INBOX_DIR`` holds files dropped by a scanner or an FTP upload;
a scan claims the settled ones into ``processing/<batch>/`` and each ends in
``done/`` or ``failed/`` once imported. No file is ever deleted or
overwritten.
"""
from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from core.limits import storage_file_name

# Names a file has while still being written (browsers, rsync, office tools).
_UNFINISHED_SUFFIXES = (".part", ".tmp", ".crdownload")


def inbox_dir() -> Path:
    return Path(settings.STATEMENT_INBOX_DIR)


def inbox_min_age() -> float:
    return float(settings.STATEMENT_INBOX_MIN_AGE_SECONDS)


def _unique_target(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        return target
    # The stamp makes the name longer: shorten it first (FILE_NAME_MAX_BYTES)
    # so a long multibyte name still fits the file system.
    name = storage_file_name(name, settings.FILE_NAME_MAX_BYTES)
    stem, suffix = Path(name).stem, "".join(Path(name).suffixes)
    stem = name[: len(name) - len(suffix)] if suffix else stem
    return folder / f"{stem}.{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}{suffix}"


def inbox_file_done(path: Path, *, failed: bool) -> str:
    """Move a processed inbox file to ``done/`` or ``failed/``; never delete it."""
    if not path.exists():
        return ""
    target = _unique_target(inbox_dir() / ("failed" if failed else "done"), path.name)
    shutil.move(str(path), str(target))
    return str(target)


def _is_settled(path: Path, min_age: float, now: float) -> bool:
    """Whether a file has stopped being written: unchanged for ``min_age``
    seconds (a scanner/FTP upload still in progress keeps touching it)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    return now - stat.st_mtime >= min_age and stat.st_size > 0


def _is_candidate(path: Path) -> bool:
    """A file a person dropped: not a sub-folder, hidden file or download in progress."""
    return path.is_file() and not path.name.startswith((".", "~")) and not path.name.endswith(_UNFINISHED_SUFFIXES)


def inbox_claim(folder: Path, min_age: float) -> tuple[list[Path], list[str]]:
    """Move the settled files of ``folder`` into a new ``processing/<batch>/``;
    return (their new paths, the names of the files still being written).

    The move is an atomic rename, so two scans running at once can never
    both take a file.
    """
    now = time.time()
    batch = folder / "processing" / f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
    claimed: list[Path] = []
    waiting: list[str] = []
    for path in sorted(folder.iterdir()):
        if not _is_candidate(path):
            continue
        if not _is_settled(path, min_age, now):
            waiting.append(path.name)
            continue
        batch.mkdir(parents=True, exist_ok=True)
        target = batch / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:  # another scan took it first
            continue
        claimed.append(target)
    return claimed, waiting
