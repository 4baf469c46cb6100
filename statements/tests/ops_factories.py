"""Statements with summaries and transactions, built directly in the
database for the API, page and view tests (the engine's own tests parse real
sample files; these tests are about reading what is stored)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from details.models import CustomerDetails
from statements.choices import BalanceMatch, StatementStatus, TamperingLevel, VerificationStatus
from statements.models import ProcessedTransaction, RawTransaction, Statement, StatementSummary

_counter = iter(range(1, 10**9))


def make_statement(
    *,
    provider: str = "UATL",
    acc_number: str | None = None,
    status: str = StatementStatus.VERIFIED,
    verification_status: str = VerificationStatus.PASS,
    tampering_level: str = TamperingLevel.NO_ISSUES,
    balance_match: str = BalanceMatch.SUCCESS,
    duplicate_count: int = 0,
    change_ratio: str = "0",
    txns: int = 3,
    run_id: str | None = None,
    details: CustomerDetails | None = None,
    rm_name: str = "",
    with_summary: bool = True,
    start: datetime = datetime(2025, 9, 1, 8, tzinfo=UTC),
    break_at: int | None = None,
    risk_score: int | None = 0,
    risk_reasons: list[dict] | None = None,
) -> Statement:
    n = next(_counter)
    statement = Statement.objects.create(
        acc_prvdr_code=provider,
        acc_number=acc_number if acc_number is not None else f"70{n:07d}",
        run_id=run_id if run_id is not None else f"run{n:010d}",
        file_name=f"statement-{n}.pdf",
        file_sha256=f"{n:064x}",
        status=status,
        num_rows=txns,
        failure_reason="could not read" if status == StatementStatus.IMPORT_FAILED else "",
        customer_details=details,
        cust_id=details.cust_id if details else "",
        rm_name=rm_name,
        period_start=start.date(),
        period_end=(start + timedelta(days=30)).date(),
    )
    if not with_summary:
        return statement
    StatementSummary.objects.create(
        statement=statement, acc_prvdr_code=provider, acc_number=statement.acc_number, run_id=statement.run_id, num_rows=txns,
        first_txn_date=start, last_txn_date=start + timedelta(hours=max(txns - 1, 0)),
        duplicate_count=duplicate_count, balance_match=balance_match, balance_diff_change_ratio=Decimal(change_ratio),
        verification_status=verification_status, tampering_level=tampering_level,
        risk_score=risk_score, risk_reasons=risk_reasons or [],
    )
    _make_transactions(statement, n=n, txns=txns, start=start, break_at=break_at, duplicate_count=duplicate_count)
    return statement


def _make_transactions(statement: Statement, *, n: int, txns: int, start: datetime, break_at: int | None, duplicate_count: int) -> None:
    """``txns`` raw rows of 1,000 each and their processed rows; from ``break_at`` on,
    the calculated balance parts from the stated one by 500."""
    common = {"statement": statement, "acc_prvdr_code": statement.acc_prvdr_code, "acc_number": statement.acc_number,
              "run_id": statement.run_id}
    raws, balance = [], Decimal("100000")
    for i in range(txns):
        balance += Decimal("1000")
        raws.append(RawTransaction(
            **common,
            row_number=i + 1, txn_id=f"T{n}-{i}", txn_date=start + timedelta(hours=i), description=f"Payment {i}",
            amount=Decimal("1000"), fee=Decimal("0"), balance=balance, raw_amount="1,000", raw_balance=f"{balance:,}",
        ))
    RawTransaction.objects.bulk_create(raws)
    raw_ids = dict(RawTransaction.objects.filter(statement=statement).values_list("row_number", "id"))
    processed, calc = [], Decimal("100000")
    for i, raw in enumerate(raws):
        calc += Decimal("1000")
        if break_at is not None and i >= break_at:
            calc_shown = calc - Decimal("500")
        else:
            calc_shown = calc
        processed.append(ProcessedTransaction(
            **common,
            sequence=i + 1, txn_id=raw.txn_id, txn_date=raw.txn_date, description=raw.description, amount=raw.amount,
            fee=raw.fee, balance=raw.balance, calculated_running_balance=calc_shown, balance_diff=calc_shown - raw.balance,
            is_duplicate=i < duplicate_count, raw_id=raw_ids.get(raw.row_number),
        ))
    ProcessedTransaction.objects.bulk_create(processed)


def make_details(**fields) -> CustomerDetails:
    n = next(_counter)
    fields.setdefault("run_id", f"68e92f3c{n:05x}")
    return CustomerDetails.objects.create(**fields)
