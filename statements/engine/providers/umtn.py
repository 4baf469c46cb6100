"""MTN Mobile Money Uganda (``UMTN``): the ``.xls`` / ``.xlsx`` / ``.csv``
export and MTN's balance rule by transaction type. See STATEMENT_FORMATS.md."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from statements.engine.base import ProviderRules, StatementParser
from statements.engine.cells import RowReader
from statements.engine.cleaning import DateParser, acc_number_9
from statements.engine.errors import MissingColumns, NoTransactions
from statements.engine.rulebook.umtn import TABLE
from statements.engine.source import Source
from statements.engine.types import CREDIT, DEBIT, ParsedStatement, RawTxn, Summary
from statements.engine.vocabulary import FileKind, Format, Provider, TamperingLevel

PROVIDER = Provider.UMTN
HEADERS = (
    "Date / Time", "Transaction ID", "Transaction Type", "Amount", "From Account", "To Account", "Fee",
    "Commision Amount", "TAX", "Commision Receiving No.", "Commision Balance", "Float Balance",
)
REQUIRED = ("Date / Time", "Transaction ID", "Transaction Type", "Amount", "Fee", "Float Balance")
DATES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")

# MTN's sign conventions are data in ``rulebook/umtn.py`` (TABLE).
ADDS = TABLE.credit_types
SUBTRACTS = TABLE.debit_types
POSITIVE_IS_DEBIT = TABLE.positive_is_debit


def _norm(name: object) -> str:
    return "".join(str(name or "").split()).casefold()


_KNOWN = {_norm(h): h for h in HEADERS} | {_norm("Commission Amount"): "Commision Amount", _norm("Date/Time"): "Date / Time"}


def header_map(row: Sequence[object]) -> dict[str, int]:
    """Canonical header name -> column index."""
    out: dict[str, int] = {}
    for i, cell in enumerate(row):
        name = _KNOWN.get(_norm(cell))
        if name and name not in out:
            out[name] = i
    return out


def _first_row(rows: Sequence[Sequence[object]]) -> tuple[int, Sequence[object]]:
    for i, row in enumerate(rows):
        if any(cell not in (None, "") and str(cell).strip() for cell in row):
            return i, row
    return 0, []


def _id_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _acc_from_rows(txns: list[RawTxn]) -> str | None:
    """The account on every row (From or To): the statement's owner."""
    counts: Counter[str] = Counter()
    for txn in txns:
        for acc in {acc_number_9(txn.from_acc), acc_number_9(txn.to_acc)}:
            if acc:
                counts[acc] += 1
    if not counts:
        return None
    acc, seen = counts.most_common(1)[0]
    return acc if seen >= 0.9 * len(txns) else None


# The container is the format; a gzip-compressed CSV is a CSV.
FORMAT_OF_KIND = {FileKind.XLSX: Format.XLSX, FileKind.XLS: Format.XLS, FileKind.CSV: Format.CSV, FileKind.GZIP_CSV: Format.CSV}


class MtnExport(StatementParser):
    """MTN's export in any of its three containers (the format is the container)."""

    provider = PROVIDER
    format = Format.XLSX
    kinds = frozenset(FORMAT_OF_KIND)

    def detect(self, source: Source) -> bool:
        _, row = _first_row(source.sheet_rows())
        found = header_map(row)
        # MTN's spellings: enough of its own columns to be sure, even when
        # some required ones are missing (those are then named as missing).
        return len(found) >= 4 and ("Date / Time" in found or "Float Balance" in found or "Commision Amount" in found)

    def parse(self, source: Source, *, acc_number: str | None = None) -> ParsedStatement:
        rows = source.sheet_rows()
        start, header = _first_row(rows)
        columns = header_map(header)
        missing = [name for name in REQUIRED if name not in columns]
        if missing:
            raise MissingColumns(missing, "the MTN header row (row 1)")
        col = columns.get
        dates = DateParser(DATES)
        txns: list[RawTxn] = []
        for r, row in enumerate(rows[start + 1 :], start=start + 2):
            def cell(name: str, row: Sequence[object] = row) -> object:
                i = col(name)
                return row[i] if i is not None and i < len(row) else None

            txn_id = _id_text(cell("Transaction ID"))
            if not txn_id:
                continue  # totals and blank lines carry no Transaction ID
            reader = RowReader(page=None, row=r)
            raw = {name: "" if cell(name) is None else str(cell(name)) for name in columns}
            when_raw = cell("Date / Time")
            when = when_raw.replace(tzinfo=None) if isinstance(when_raw, datetime) else reader.date("Date / Time", when_raw, dates)
            amount = reader.number("Amount", cell("Amount"))
            fee = reader.fee("Fee", cell("Fee"))
            balance = reader.number("Float Balance", cell("Float Balance"))
            txn_type = " ".join(str(cell("Transaction Type") or "").split()).upper()
            direction = type_direction(txn_type, amount)
            if direction:
                amount = abs(amount) if direction == CREDIT else -abs(amount)
            txns.append(
                RawTxn(
                    row_no=len(txns) + 1,
                    txn_id=txn_id,
                    txn_date=when,
                    amount=amount,
                    fee=fee,
                    balance=balance,
                    description=txn_type,
                    txn_type=txn_type,
                    status="",
                    direction=direction,
                    from_acc=_id_text(cell("From Account")),
                    to_acc=_id_text(cell("To Account")),
                    page=None,
                    has_quality_issue=bool(reader.dirty),
                    quality_notes=[f"{c}: {raw.get(c, '')!r} is not a clean number" for c in reader.dirty],
                    raw=raw,
                    extra={k: raw[k] for k in ("Commision Amount", "TAX", "Commision Receiving No.", "Commision Balance") if k in raw},
                )
            )
        if not txns:
            raise NoTransactions("the MTN export has a header row but no rows with a Transaction ID")
        return ParsedStatement(
            provider=PROVIDER,
            format=FORMAT_OF_KIND[source.kind],
            file_kind=source.kind,
            acc_number=acc_number or _acc_from_rows(txns),
            transactions=txns,
        )


def type_direction(txn_type: str, amount: Decimal) -> str:
    """Direction from MTN's transaction type; "" when only the balance can tell."""
    if txn_type in ADDS:
        return CREDIT
    if txn_type in SUBTRACTS:
        return DEBIT
    if txn_type in POSITIVE_IS_DEBIT:
        return DEBIT if amount > 0 else CREDIT
    return ""  # ADJUSTMENT and unknown types: from how the float balance moved


class MtnRules(ProviderRules):
    """MTN's table (specials with its Bundle Purchase, signs by type); the
    balance effect is ``ProviderRules``' (by direction, else by how the float
    balance moved: an ADJUSTMENT)."""

    provider = PROVIDER
    table = TABLE

    def tampering(self, parsed: ParsedStatement, summary: Summary) -> tuple[TamperingLevel, str]:
        if parsed.metadata is None:
            return TamperingLevel.NO_ISSUES, "MTN export: a spreadsheet carries no file signature to check"
        return TamperingLevel.NO_ISSUES, "MTN MoMo PDF: no metadata rule of its own; the forensic signals check the file"
