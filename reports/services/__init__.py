"""Writes for the reports: the portfolio snapshot (the only table this app
writes). Callers import from here (``from reports import services``)."""
from __future__ import annotations

from reports.services.snapshots import (
    DEFAULT_BATCH_SIZE,
    SnapshotResult,
    portfolio_snapshot_take,
    portfolio_summary_rebuild,
    previous_month_end,
)

__all__ = ["DEFAULT_BATCH_SIZE", "SnapshotResult", "portfolio_snapshot_take", "portfolio_summary_rebuild", "previous_month_end"]
