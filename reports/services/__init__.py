"""Writes for the reports: the portfolio snapshot and the collections
summary. Callers import from here (``from reports import services``)."""
from __future__ import annotations

from reports.services.collections import collection_summary_refresh
from reports.services.snapshots import (
    DEFAULT_BATCH_SIZE,
    SnapshotResult,
    portfolio_snapshot_take,
    portfolio_summary_rebuild,
    previous_month_end,
)

__all__ = ["DEFAULT_BATCH_SIZE", "collection_summary_refresh", "SnapshotResult", "portfolio_snapshot_take", "portfolio_summary_rebuild", "previous_month_end"]
