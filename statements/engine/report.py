"""A ``StatementResult`` as plain JSON-ready data (``parse_statement --json``).

Money is a decimal string (never a float), timestamps ISO 8601.
"""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from statements.engine.types import ProcessedTxn, StatementResult


def money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def transaction_dict(p: ProcessedTxn) -> dict[str, Any]:
    t = p.raw
    return {
        "seq": p.seq,
        "row": t.row_no,
        "page": t.page,
        "txn_id": t.txn_id,
        "timestamp": t.txn_date.isoformat(),
        "type": t.txn_type,
        "description": t.description,
        "status": t.status,
        "amount": money(p.amount),
        "fee": money(t.fee),
        "tax": money(t.tax),
        "balance": money(t.balance),
        "calculated_balance": money(p.calculated_balance),
        "balance_diff": money(p.balance_diff),
        "implicit_charge": money(p.implicit_charge),
        "direction": p.direction,
        "is_duplicate": p.is_duplicate,
        "is_special": p.is_special,
        "special_type": p.special_type,
        "has_quality_issue": t.has_quality_issue,
        "raw": t.raw if t.has_quality_issue else None,
    }


def result_dict(result: StatementResult) -> dict[str, Any]:
    parsed, summary = result.parsed, result.summary
    return {
        "provider": parsed.provider,
        "format": parsed.format,
        "statement_format": parsed.statement_format,
        "file_kind": parsed.file_kind,
        "acc_number": parsed.acc_number,
        "header": parsed.header,
        "header_balances": {name: money(value) for name, value in parsed.summary.items()},
        "pdf_metadata": parsed.metadata.as_dict() if parsed.metadata else None,
        "page_count": parsed.page_count,
        "transactions": [transaction_dict(p) for p in result.transactions],
        "summary": {f.name: _plain(getattr(summary, f.name)) for f in fields(summary) if f.name != "risk_reasons"},
        "verification_status": summary.verification_status,
        "verification_reason": summary.verification_reason,
        "status": result.status,
        "tampering_level": summary.tampering_level,
        "tampering_reason": summary.tampering_reason,
        "risk_score": summary.risk_score,
        "reasons": [r.as_dict() for r in summary.risk_reasons],
        "warnings": parsed.warnings,
    }
