"""Reason codes, their weights in the risk score, and the score bands.

One table of weights: a signal returns reasons carrying its code's weight;
the statement's score adds the heaviest reason of each code, capped at 100.
The bands turn the score into the tampering level and the status
(README, "Statement risk score").
"""
from __future__ import annotations

from statements.engine.vocabulary import StatementStatus, TamperingLevel

# ---- file signals (forensics)
REVISION_INCREMENTAL = "revision_incremental"
RESAVED = "resaved"  # structure differs from the format's writer, tool named when known
STRUCTURE = "structure_mismatch"  # structure differs, no tool recognised
FONT_UNEXPECTED = "font_unexpected"
FONT_SUBSET = "font_subset_embedded"
ANNOTATION = "annotation_overlay"
COVERED_TEXT = "covered_text"
OVERLAPPING_TEXT = "overlapping_text"
LAYOUT_COLUMNS = "layout_columns"
LAYOUT_ROW_PITCH = "layout_row_pitch"
LAYOUT_SHORT_PAGE = "layout_short_page"
DATE_MALFORMED = "date_malformed"
DATE_ORDER = "date_order"
DATE_BEFORE_PERIOD = "date_before_period"
DATE_LATE = "date_long_after_period"
DATE_MODIFIED = "date_modified"
PRODUCER_UNKNOWN = "producer_unknown"
PRODUCER_EDITOR = "producer_editor"
PRODUCER_MISSING = "producer_missing"
METADATA_RULE = "metadata_rule"  # the provider's metadata tampering rules (AirtelRules.tampering)
ACCOUNT_MISMATCH = "account_mismatch"
# ---- table signals (verification)
SUMMARY_MISMATCH = "summary_mismatch"
BALANCE_BREAK = "balance_break"
BALANCE_MISMATCH = "balance_mismatch"
DUPLICATE_ROWS = "duplicate_rows"
HEADER_ROWS = "header_rows_in_data"
DIRTY_CELLS = "dirty_cells"
ROUND_TRIPPING = "round_tripping"  # one counterparty both sends and receives a large share (issue 18)
# ---- request signals (statements.risk, on enrichment: what the back office knows of the holder)
OWN_NUMBER = "own_number_transfer"  # a large share goes to (or comes from) the holder's own other number (issue 18)

WEIGHTS: dict[str, int] = {
    REVISION_INCREMENTAL: 45,
    RESAVED: 15,
    STRUCTURE: 15,
    FONT_UNEXPECTED: 45,
    FONT_SUBSET: 45,
    ANNOTATION: 50,
    COVERED_TEXT: 50,
    OVERLAPPING_TEXT: 45,
    LAYOUT_COLUMNS: 25,
    LAYOUT_ROW_PITCH: 20,
    LAYOUT_SHORT_PAGE: 40,
    DATE_MALFORMED: 20,
    DATE_ORDER: 30,
    DATE_BEFORE_PERIOD: 40,
    DATE_LATE: 10,
    DATE_MODIFIED: 30,
    PRODUCER_UNKNOWN: 25,
    PRODUCER_EDITOR: 45,
    PRODUCER_MISSING: 20,
    ACCOUNT_MISMATCH: 60,
    SUMMARY_MISMATCH: 45,
    BALANCE_BREAK: 30,
    BALANCE_MISMATCH: 70,
    DUPLICATE_ROWS: 10,
    HEADER_ROWS: 60,
    DIRTY_CELLS: 5,
    ROUND_TRIPPING: 25,
    OWN_NUMBER: 25,
}
# Signals of one cause count once, the heaviest: a file re-saved or printed
# by another tool shows another writer's fingerprint, another (or no)
# producer and a modification date together.
FAMILIES: dict[str, str] = {
    RESAVED: "resaved", STRUCTURE: "resaved", PRODUCER_UNKNOWN: "resaved", PRODUCER_MISSING: "resaved", DATE_MODIFIED: "resaved",
    # Money cycled to inflate the turnover, through one counterparty or the holder's own other number.
    ROUND_TRIPPING: "round_tripping", OWN_NUMBER: "round_tripping",
}
# The provider's metadata rules, by the level they gave.
METADATA_WEIGHTS: dict[str, int] = {
    TamperingLevel.FATAL: 70, TamperingLevel.CRITICAL: 45, TamperingLevel.WARNING: 20, TamperingLevel.NO_ISSUES: 0,
}

# Reasons only the file itself shows: kept from the stored summary when a
# statement is re-verified from its stored rows (the file is not read again).
FILE_ONLY = frozenset({
    REVISION_INCREMENTAL, RESAVED, STRUCTURE, FONT_UNEXPECTED, FONT_SUBSET, ANNOTATION, COVERED_TEXT,
    OVERLAPPING_TEXT, LAYOUT_COLUMNS, LAYOUT_ROW_PITCH, LAYOUT_SHORT_PAGE, ACCOUNT_MISMATCH, OWN_NUMBER,
})
# Reasons from the statement request (``statements.risk``), recomputed on enrichment.
REQUEST_SIGNALS = frozenset({ACCOUNT_MISMATCH, OWN_NUMBER})
# Reasons about the file: their score's band raises the tampering level
# (the provider's metadata rules set that level themselves, so
# METADATA_RULE is not counted again). The rest are about the table.
# The account signal is about the request, not the file: it moves the
# score and the status, never the tampering level.
FILE_SIGNALS = (FILE_ONLY - REQUEST_SIGNALS) | {
    DATE_MALFORMED, DATE_ORDER, DATE_BEFORE_PERIOD, DATE_LATE, DATE_MODIFIED, PRODUCER_UNKNOWN, PRODUCER_EDITOR,
    PRODUCER_MISSING,
}

# Score bands, lowest score first: (from score, tampering level, status).
REVIEW_THRESHOLD = 15
FLAG_THRESHOLD = 40
FATAL_THRESHOLD = 70
BANDS: tuple[tuple[int, TamperingLevel, StatementStatus], ...] = (
    (0, TamperingLevel.NO_ISSUES, StatementStatus.VERIFIED),
    (REVIEW_THRESHOLD, TamperingLevel.WARNING, StatementStatus.VERIFIED_WITH_WARNINGS),
    (FLAG_THRESHOLD, TamperingLevel.CRITICAL, StatementStatus.FLAGGED),
    (FATAL_THRESHOLD, TamperingLevel.FATAL, StatementStatus.FLAGGED),
)


def band(score: int) -> tuple[TamperingLevel, StatementStatus]:
    level, status = BANDS[0][1], BANDS[0][2]
    for start, band_level, band_status in BANDS:
        if score >= start:
            level, status = band_level, band_status
    return level, status
