"""Plain data carried through the statement engine.

Everything here is a dataclass with ``Decimal`` money and no Django import, so
the engine runs the same inside a request, a Celery task or the
``parse_statement`` command that must not touch the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from statements.engine.evidence import Evidence, Reason
from statements.engine.vocabulary import BalanceMatch, Direction, StatementFormat, StatementStatus

# Short names for the hot loops (and the benchmark's synthetic rows).
CREDIT, DEBIT = Direction.CREDIT, Direction.DEBIT
ZERO = Decimal("0")


@dataclass(slots=True)
class PdfMetadata:
    title: str = ""
    author: str = ""
    creator: str = ""
    producer: str = ""
    created: datetime | None = None
    modified: datetime | None = None
    # The raw PDF date strings, kept because a hand-edited file often has a
    # malformed one and that itself is worth seeing.
    created_raw: str = ""
    modified_raw: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "author": self.author,
            "creator": self.creator,
            "producer": self.producer,
            "created": self.created.isoformat() if self.created else None,
            "modified": self.modified.isoformat() if self.modified else None,
        }


@dataclass(slots=True)
class RawTxn:
    """One transaction row as read from the file: cleaned values and raw text.

    ``amount`` is signed (credits positive, debits negative) once the parser
    knows the direction (an MTN ``ADJUSTMENT`` only learns it from the balance
    during processing); ``fee`` and ``tax`` are always non-negative, and the
    balance moves by the amount less both (MTN MoMo PDFs have a Taxes
    column; other formats leave ``tax`` at 0). ``raw`` keeps the text
    of every cell exactly as read so an analyst can see what was cleaned.
    """

    row_no: int  # 1-based position in the file's transaction table
    txn_id: str
    txn_date: datetime
    amount: Decimal
    fee: Decimal
    balance: Decimal
    description: str = ""
    txn_type: str = ""
    status: str = ""
    direction: str = ""  # a Direction, or "" when the file does not say
    from_acc: str = ""
    to_acc: str = ""
    page: int | None = None
    has_quality_issue: bool = False
    quality_notes: list[str] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    tax: Decimal = ZERO


@dataclass(slots=True)
class ParsedStatement:
    """What a parser read from one file, before any verification."""

    provider: str  # a Provider (acc_prvdr_code)
    format: str  # a Format: pdf_format_1 / pdf_format_2 / csv_format_1 / csv_format_2 / xlsx / xls / csv
    file_kind: str  # a FileKind: pdf / csv / gzip-csv / xlsx / xls ("" when rebuilt from stored rows)
    acc_number: str | None
    transactions: list[RawTxn]
    header: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Decimal] = field(default_factory=dict)
    metadata: PdfMetadata | None = None
    page_count: int | None = None
    header_row_manipulation_count: int = 0
    warnings: list[str] = field(default_factory=list)
    # What the forensic signals read from the file (PDFs; None when rebuilt
    # from stored rows) and, then, the reasons stored before that only the
    # file could show.
    evidence: Evidence | None = None
    prior_reasons: list[Reason] = field(default_factory=list)

    @property
    def pdf_format(self) -> int | None:
        """1 or 2 for Airtel formats (PDF or CSV), else None."""
        if self.format.endswith("_1"):
            return 1
        if self.format.endswith("_2"):
            return 2
        return None

    @property
    def statement_format(self) -> StatementFormat:
        """What ``Statement.format`` stores for this provider and format (uatl_pdf_1, umtn_xlsx, ...)."""
        return StatementFormat.of(self.provider, self.format)


@dataclass(slots=True)
class ProcessedTxn:
    raw: RawTxn
    seq: int  # 1-based position after ordering
    amount: Decimal  # signed
    direction: str  # a Direction
    effect: Decimal  # how this row moves the running balance (0 when skipped)
    calculated_balance: Decimal
    balance_diff: Decimal
    is_duplicate: bool = False
    is_special: bool = False
    special_type: str = ""  # a SpecialType, or ""
    skipped: bool = False  # carries the previous row's balance difference
    implicit_charge: Decimal = ZERO
    gap_days: int = 0


@dataclass(slots=True)
class Summary:
    """The per-statement figures kept in StatementSummary."""

    txn_count: int = 0
    credits: Decimal = ZERO
    debits: Decimal = ZERO
    fees: Decimal = ZERO
    taxes: Decimal = ZERO
    opening_balance_stated: Decimal | None = None
    closing_balance_stated: Decimal | None = None
    opening_balance_calculated: Decimal | None = None
    closing_balance_calculated: Decimal | None = None
    first_txn_date: datetime | None = None
    last_txn_date: datetime | None = None
    duplicate_count: int = 0
    quality_issues_count: int = 0
    header_row_manipulation_count: int = 0
    special_txn_count: int = 0
    balance_match: BalanceMatch = BalanceMatch.FAILED
    balance_diff_changes: int = 0
    balance_diff_change_ratio: Decimal = ZERO
    missing_days_detected: bool = False
    gap_related_balance_changes: int = 0
    max_gap_days: int = 0
    implicit_ind02_commission: bool = False
    implicit_merchant_cashback: bool = False
    # Decided last, from the figures above: a VerificationStatus and a
    # TamperingLevel once ``verify.process`` has run.
    verification_status: str = ""
    verification_reason: str = ""
    tampering_level: str = ""
    tampering_reason: str = ""
    # The forensic verdict (``forensics.score``): 0-100 and the reasons.
    risk_score: int = 0
    risk_reasons: list[Reason] = field(default_factory=list)


@dataclass(slots=True)
class StatementResult:
    """A parsed statement with every processing rule applied."""

    parsed: ParsedStatement
    transactions: list[ProcessedTxn]
    summary: Summary
    status: StatementStatus
