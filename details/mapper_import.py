"""Load mapper.csv (seed 004's statement requests) into customer details.

``import_mapper FILE`` and ``import_statements --mapper FILE`` call
``mapper_load``. mapper.csv knows only the request (run_id, account,
provider, RM, date); a row already filled from a better source (the CSV
backfill, the core database, staff) is kept as it is.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from details.choices import DetailsSource, SyncStatus
from details.mapper import MapperError, mapper_lookup_many
from details.models import CustomerDetails
from details.services import customer_details_store_many

BATCH = 1000


class MapperFileError(ValueError):
    pass


@dataclass
class MapperLoad:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # kept: the stored row came from a better source


def _run_ids(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        if "run_id" not in header:
            raise MapperFileError(f"{path}: no run_id column (header: {', '.join(header) or 'empty'})")
        position = header.index("run_id")
        return list(dict.fromkeys(cells[position].strip() for cells in reader if len(cells) > position and cells[position].strip()))


def mapper_load(*, path: Path, batch_size: int = BATCH) -> MapperLoad:
    """Insert or update one CustomerDetails (source "mapper") per mapper.csv row.

    Rows are written ``pending`` when the core lending database is
    configured, so the scheduled retry completes them with the borrower
    details only the core knows; ``synced`` otherwise.
    """
    path = Path(path)
    if not path.is_file():
        raise MapperFileError(f"{path}: no such file")
    run_ids = _run_ids(path)
    result = MapperLoad(rows=len(run_ids))
    sync_status = SyncStatus.PENDING if settings.FLOW_API_ENABLED else SyncStatus.SYNCED
    for start in range(0, len(run_ids), batch_size):
        chunk = run_ids[start : start + batch_size]
        try:
            values = mapper_lookup_many(chunk, path=path)
        except MapperError as exc:
            raise MapperFileError(str(exc)) from exc
        existing = {
            row["run_id"]: row
            for row in CustomerDetails.objects.filter(run_id__in=chunk).values("run_id", "source", "sync_status", "content_hash")
        }
        keep = {
            run_id for run_id, row in existing.items()
            # A pending row is at most a placeholder waiting for the core.
            if row["source"] != DetailsSource.MAPPER and row["sync_status"] != SyncStatus.PENDING
        }
        result.skipped += len(keep)
        rows = {run_id: v for run_id, v in values.items() if run_id not in keep}
        before = {run_id: existing[run_id]["content_hash"] for run_id in rows if run_id in existing}
        stored = customer_details_store_many(rows=rows, source=DetailsSource.MAPPER, sync_status=sync_status, link_customers=False)
        for run_id, obj in stored.items():
            if run_id not in before:
                result.created += 1
            elif before[run_id] == obj.content_hash:
                result.unchanged += 1
            else:
                result.updated += 1
    return result
