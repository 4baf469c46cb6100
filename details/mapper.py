"""mapper.csv: the older export of statement requests (seed 004), the last
fallback when neither the local table nor the core database knows a run_id.

Columns: run_id, acc_number, alt_acc_num, acc_prvdr_code, status, object_key,
lambda_status, rm_id, rm_name, created_date. The file is read once and kept
in memory until it changes on disk (its size or modification time).
"""
from __future__ import annotations

import csv
import logging
import threading
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, time
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

MAPPER_COLUMNS = (
    "run_id", "acc_number", "alt_acc_num", "acc_prvdr_code", "status", "object_key",
    "lambda_status", "rm_id", "rm_name", "created_date",
)


class MapperError(ValueError):
    """mapper.csv exists but cannot be used (missing columns, unreadable)."""


_cache: dict[str, tuple[tuple[int, int], dict[str, dict]]] = {}
_lock = threading.Lock()


def mapper_path() -> Path:
    return Path(settings.MAPPER_CSV_PATH)


def _clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value.lower() in {"nan", "none", "null"} else value


def _load(path: Path) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in MAPPER_COLUMNS if c not in header]
        if missing:
            raise MapperError(f"{path}: missing column(s) {', '.join(missing)}")
        index = {name: header.index(name) for name in MAPPER_COLUMNS}
        for cells in reader:
            if not cells or not any(c.strip() for c in cells):
                continue
            row = {name: _clean(cells[i]) if i < len(cells) else "" for name, i in index.items()}
            if row["run_id"]:
                rows[row["run_id"]] = row
    return rows


def _rows(path: Path | None = None) -> dict[str, dict]:
    path = Path(path or mapper_path())
    try:
        stat = path.stat()
    except FileNotFoundError:
        logger.info("mapper.csv not found at %s; no mapper fallback", path)
        return {}
    signature = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(str(path))
        if cached and cached[0] == signature:
            return cached[1]
        rows = _load(path)
        _cache[str(path)] = (signature, rows)
        return rows


def _created(text: str):
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        logger.warning("mapper.csv: created_date %r is not a date; ignored", text)
        return None
    if parsed.tzinfo is None:
        if len(text) <= 10:
            parsed = datetime.combine(parsed.date(), time())
        parsed = parsed.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return parsed.astimezone(UTC)


def _to_details(row: dict) -> dict:
    rm_id = row["rm_id"]
    return {
        "run_id": row["run_id"],
        "acc_number": row["acc_number"],
        "alt_acc_num": row["alt_acc_num"],
        "acc_prvdr_code": row["acc_prvdr_code"].upper(),
        "request_status": row["status"],
        "object_key": row["object_key"],
        "lambda_status": row["lambda_status"],
        "created_by_rm_id": int(rm_id) if rm_id.isdigit() else None,
        "rm_name": row["rm_name"],
        "request_created_at": _created(row["created_date"]),
    }


def mapper_lookup_many(run_ids: Iterable[str], *, path: Path | None = None) -> dict[str, dict]:
    """CustomerDetails values from mapper.csv for the run_ids it knows.

    A missing file is an empty mapper; a file without the expected columns
    raises ``MapperError`` naming them.
    """
    rows = _rows(path)
    found = {}
    for run_id in run_ids:
        row = rows.get(str(run_id).strip())
        if row:
            found[row["run_id"]] = _to_details(row)
    return found


def mapper_lookup(run_id: str, *, path: Path | None = None) -> dict | None:
    return mapper_lookup_many([run_id], path=path).get(str(run_id).strip())
