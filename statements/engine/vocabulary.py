"""The engine's words for providers, formats, statuses and row kinds.

One vocabulary: the engine compares and returns these members (plain
strings too, as ``StrEnum``), and the model choices in
``statements/choices.py`` take their values from here, so a status or a
format is spelt in one place. Labels for people stay with the choices.
"""
from __future__ import annotations

from enum import StrEnum

from statements.engine.families import family_of


class Provider(StrEnum):
    """A mobile-money provider (``acc_prvdr_code``)."""

    UATL = "UATL"  # Airtel Money Uganda
    UMTN = "UMTN"  # MTN Mobile Money Uganda


class FileKind(StrEnum):
    """What a file is, from its first bytes (``sniff.sniff_kind``)."""

    PDF = "pdf"
    XLSX = "xlsx"
    XLS = "xls"
    GZIP_CSV = "gzip-csv"
    CSV = "csv"


class Format(StrEnum):
    """The layout a parser read (``ParsedStatement.format``; ``parse_statement --json`` prints it)."""

    PDF_FORMAT_1 = "pdf_format_1"
    PDF_FORMAT_2 = "pdf_format_2"
    CSV_FORMAT_1 = "csv_format_1"
    CSV_FORMAT_2 = "csv_format_2"
    MOMO_PDF = "momo_pdf"  # MTN MoMo's PDF statement, as customers download it
    XLSX = "xlsx"
    XLS = "xls"
    CSV = "csv"


class StatementFormat(StrEnum):
    """A statement's provider and layout in one value: what ``Statement.format`` stores.

    Each member names its provider and the engine's ``Format`` on the same
    line, so the two spellings are related here and nowhere else.
    """

    provider: Provider | None
    engine_format: Format | None

    def __new__(cls, value: str, provider: Provider | None = None, engine_format: Format | None = None) -> StatementFormat:
        member = str.__new__(cls, value)
        member._value_ = value
        member.provider = provider
        member.engine_format = engine_format
        return member

    UATL_PDF_1 = "uatl_pdf_1", Provider.UATL, Format.PDF_FORMAT_1
    UATL_PDF_2 = "uatl_pdf_2", Provider.UATL, Format.PDF_FORMAT_2
    UATL_CSV_1 = "uatl_csv_1", Provider.UATL, Format.CSV_FORMAT_1
    UATL_CSV_2 = "uatl_csv_2", Provider.UATL, Format.CSV_FORMAT_2
    UMTN_XLSX = "umtn_xlsx", Provider.UMTN, Format.XLSX
    UMTN_XLS = "umtn_xls", Provider.UMTN, Format.XLS
    UMTN_CSV = "umtn_csv", Provider.UMTN, Format.CSV
    UMTN_PDF = "umtn_pdf", Provider.UMTN, Format.MOMO_PDF
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, provider: str, engine_format: str) -> StatementFormat:
        """The stored format of a statement a parser read (``UNKNOWN`` when
        none fits); a provider code of a family (``UMTN2``) has its family's formats."""
        family = family_of(provider)
        for member in cls:
            if member.provider == family and member.engine_format == engine_format:
                return member
        return cls.UNKNOWN


def engine_format(statement_format: str) -> str:
    """The engine's ``Format`` for a stored ``StatementFormat`` value, to
    verify a stored statement again; a value that names no format is
    returned as it is."""
    try:
        return StatementFormat(statement_format).engine_format or statement_format
    except ValueError:
        return statement_format


class StatementStatus(StrEnum):
    IMPORT_FAILED = "IMPORT_FAILED"
    IMPORTED = "IMPORTED"
    VERIFIED = "VERIFIED"
    VERIFIED_WITH_WARNINGS = "VERIFIED_WITH_WARNINGS"
    FLAGGED = "FLAGGED"


class VerificationStatus(StrEnum):
    PASS = "PASS"
    WARNING = "WARNING"
    FAIL = "FAIL"


class BalanceMatch(StrEnum):
    """Whether the calculated closing balance equals the stated one."""

    SUCCESS = "Success"
    FAILED = "Failed"


class TamperingLevel(StrEnum):
    """The file's tampering signals, least to most severe (the order is the severity)."""

    NO_ISSUES = "NO_ISSUES"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    FATAL = "FATAL"


class Direction(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class SpecialType(StrEnum):
    """The kind of a row that is not an ordinary transaction
    (``ProcessedTransaction.special_type``)."""

    COMMISSION = "Commission Disbursement"
    DEALLOCATION = "Deallocation"
    ROLLBACK = "Rollback"
    REVERSAL = "Transaction Reversal"
    BUNDLE = "Bundle Purchase"  # UMTN's own (seed 004)
    # Rows the provider lists but did not complete (Airtel's status column).
    FAILED = "Failed"
    ROLLED_BACK = "Rolled back"
    # A repeat of an earlier row: flagged ``is_duplicate``, never stored as a special type.
    DUPLICATE = "Duplicate"


class ImplicitCharge(StrEnum):
    """A charge a provider applies without a row of its own (rule 5)."""

    IND02_COMMISSION = "ind02_commission"
    MERCHANT_CASHBACK = "merchant_cashback"
