"""The engine's dataclasses as column values, and back.

Pure conversions (no queries): ``storage`` writes what these build, and
rebuilds the engine's view of a stored statement from its rows when it is
reprocessed.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from statements.choices import StatementFormat
from statements.engine.cleaning import parse_header_date
from statements.engine.counterparty import counterparty
from statements.engine.types import ParsedStatement, PdfMetadata, ProcessedTxn, RawTxn, Summary
from statements.engine.vocabulary import engine_format
from statements.models import RawTransaction, Statement

_RAW_DATE = ("Transaction Date", "Date", "Date / Time")
_RAW_AMOUNT = ("Transaction Amount", "Amount")
_RAW_BALANCE = ("Balance", "Float Balance")


def cut(value: object, length: int) -> str:
    return ("" if value is None else str(value))[:length]


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _naive_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return timezone.make_naive(value) if timezone.is_aware(value) else value


def _period(text: str) -> tuple[date | None, date | None]:
    if " to " not in text:
        return None, None
    start, _, end = text.partition(" to ")
    first, last = parse_header_date(start), parse_header_date(end)
    return (first.date() if first else None), (last.date() if last else None)


def statement_fields(statement: Statement, parsed: ParsedStatement) -> None:
    """Copy what the engine read from the file's header, summary and PDF metadata onto ``statement``."""
    header = parsed.header
    statement.acc_prvdr_code = parsed.provider
    statement.format = parsed.statement_format
    statement.pdf_format = parsed.pdf_format
    statement.customer_name = cut(header.get("Customer Name", ""), 300)
    statement.mobile_number = cut(header.get("Mobile Number", ""), 32)
    statement.email_address = cut(header.get("Email Address", ""), 254)
    statement.statement_period = cut(header.get("Statement Period", ""), 100)
    statement.period_start, statement.period_end = _period(header.get("Statement Period", ""))
    request = parse_header_date(header.get("Request Date", "")) if header.get("Request Date") else None
    statement.request_date = request.date() if request else None
    statement.opening_balance = parsed.summary.get("Opening Balance")
    statement.closing_balance = parsed.summary.get("Closing Balance")
    statement.total_credit = parsed.summary.get("Total Credit")
    statement.total_debit = parsed.summary.get("Total Debit")
    statement.header_fields = dict(header)
    meta = parsed.metadata or PdfMetadata()
    statement.pdf_title = cut(meta.title, 255)
    statement.pdf_author = cut(meta.author, 255)
    statement.pdf_creator = cut(meta.creator, 255)
    statement.pdf_producer = cut(meta.producer, 255)
    statement.pdf_created_at = aware(meta.created)
    statement.pdf_modified_at = aware(meta.modified)
    statement.pdf_created_raw = cut(meta.created_raw, 64)
    statement.pdf_modified_raw = cut(meta.modified_raw, 64)
    statement.page_count = parsed.page_count


def row_columns(statement: Statement) -> dict[str, Any]:
    """The columns every transaction row of ``statement`` repeats."""
    return {"statement_id": statement.pk, "acc_prvdr_code": statement.acc_prvdr_code, "acc_number": statement.acc_number,
            "run_id": statement.run_id}


def _raw_cell(raw: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in raw:
            return cut(raw[key], 64)
    return ""


def raw_row(common: dict[str, Any], t: RawTxn) -> dict[str, Any]:
    """One ``RawTransaction`` row's values."""
    extra = dict(t.extra)
    if t.quality_notes:
        extra["quality_notes"] = t.quality_notes
    return {
        **common,
        "row_number": t.row_no,
        "page_number": t.page,
        "txn_id": cut(t.txn_id, 100),
        "txn_date": aware(t.txn_date),
        "txn_type": cut(t.txn_type, 100),
        "description": t.description or "",
        "from_acc": cut(t.from_acc, 100),
        "to_acc": cut(t.to_acc, 100),
        "status": cut(t.status, 50),
        "direction": t.direction or "",
        "amount": t.amount,
        "fee": t.fee,
        "tax": t.tax,
        "balance": t.balance,
        "raw_date": _raw_cell(t.raw, _RAW_DATE),
        "raw_amount": _raw_cell(t.raw, _RAW_AMOUNT),
        "raw_fee": _raw_cell(t.raw, ("Fee", "Fees")),  # MTN MoMo PDF: "Fees" (its "Taxes" text is in extra)
        "raw_balance": _raw_cell(t.raw, _RAW_BALANCE),
        "has_quality_issue": bool(t.has_quality_issue),
        "extra": extra,
    }


def processed_row(common: dict[str, Any], p: ProcessedTxn, raw_id: int | None) -> dict[str, Any]:
    """One ``ProcessedTransaction`` row's values."""
    return {
        **common,
        "raw_id": raw_id,
        "sequence": p.seq,
        "txn_id": cut(p.raw.txn_id, 100),
        "txn_date": aware(p.raw.txn_date),
        "txn_type": cut(p.raw.txn_type, 100),
        "description": p.raw.description or "",
        "status": cut(p.raw.status, 50),
        "direction": p.direction or "",
        "amount": p.amount,
        "fee": p.raw.fee,
        "tax": p.raw.tax,
        "balance": p.raw.balance,
        "calculated_running_balance": p.calculated_balance,
        "balance_diff": p.balance_diff,
        "implicit_charge": p.implicit_charge,
        "is_duplicate": bool(p.is_duplicate),
        "is_special": bool(p.is_special),
        "special_type": cut(p.special_type, 64),
        "has_quality_issue": bool(p.raw.has_quality_issue),
        **dict(zip(("counterparty_number", "counterparty_name"), counterparty(p.raw, common.get("acc_number")), strict=True)),
    }


def summary_fields(s: Summary) -> dict[str, Any]:
    """The ``StatementSummary`` columns of the engine's summary."""
    return {
        "num_rows": s.txn_count,
        "first_txn_date": aware(s.first_txn_date),
        "last_txn_date": aware(s.last_txn_date),
        "credits": s.credits,
        "debits": s.debits,
        "fees": s.fees,
        "taxes": s.taxes,
        "opening_balance_stated": s.opening_balance_stated,
        "opening_balance_calculated": s.opening_balance_calculated,
        "closing_balance_stated": s.closing_balance_stated,
        "closing_balance_calculated": s.closing_balance_calculated,
        "duplicate_count": s.duplicate_count,
        "quality_issues_count": s.quality_issues_count,
        "header_row_manipulation_count": s.header_row_manipulation_count,
        "special_txn_count": s.special_txn_count,
        "balance_match": s.balance_match,
        "balance_diff_changes": s.balance_diff_changes,
        "balance_diff_change_ratio": s.balance_diff_change_ratio,
        "missing_days_detected": s.missing_days_detected,
        "gap_related_balance_changes": s.gap_related_balance_changes,
        "uses_implicit_ind02_commission": s.implicit_ind02_commission,
        "uses_implicit_merchant_cashback": s.implicit_merchant_cashback,
        "verification_status": s.verification_status,
        "verification_reason": s.verification_reason,
        "tampering_level": s.tampering_level,
        "tampering_reason": s.tampering_reason,
        "risk_score": s.risk_score,
        "risk_reasons": [r.as_dict() for r in s.risk_reasons],
    }


def _raw_txn(r: RawTransaction) -> RawTxn:
    return RawTxn(
        row_no=r.row_number,
        txn_id=r.txn_id,
        txn_date=_naive_local(r.txn_date),
        amount=r.amount,
        fee=r.fee,
        tax=r.tax or Decimal(0),
        balance=r.balance,
        description=r.description,
        txn_type=r.txn_type,
        status=r.status,
        direction=r.direction,
        from_acc=r.from_acc,
        to_acc=r.to_acc,
        page=r.page_number,
        has_quality_issue=r.has_quality_issue,
        extra=r.extra or {},
    )


def parsed_from_rows(statement: Statement, raws: list[RawTransaction], header_repeats: int) -> ParsedStatement:
    """The engine's view of a stored statement, without the file."""
    summary = {
        name: value
        for name, value in (
            ("Opening Balance", statement.opening_balance), ("Closing Balance", statement.closing_balance),
            ("Total Credit", statement.total_credit), ("Total Debit", statement.total_debit),
        )
        if value is not None
    }
    is_pdf = statement.format in (StatementFormat.UATL_PDF_1, StatementFormat.UATL_PDF_2, StatementFormat.UMTN_PDF)
    metadata = (
        PdfMetadata(
            title=statement.pdf_title, author=statement.pdf_author, creator=statement.pdf_creator,
            producer=statement.pdf_producer, created=statement.pdf_created_at, modified=statement.pdf_modified_at,
            created_raw=statement.pdf_created_raw, modified_raw=statement.pdf_modified_raw,
        )
        if is_pdf
        else None
    )
    return ParsedStatement(
        provider=statement.acc_prvdr_code,
        format=engine_format(statement.format),
        file_kind="pdf" if is_pdf else "",
        acc_number=statement.acc_number or None,
        transactions=[_raw_txn(r) for r in raws],
        header=dict(statement.header_fields or {}),
        summary=summary,
        metadata=metadata,
        page_count=statement.page_count,
        header_row_manipulation_count=header_repeats,
    )
