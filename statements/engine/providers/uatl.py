"""Airtel Money Uganda (``UATL``): PDF formats 1 and 2, the CSV export, and
Airtel's processing rules (fees, failed rows, implicit charges, tampering
signals in the PDF metadata). See STATEMENT_FORMATS.md."""
from __future__ import annotations

import re
from decimal import Decimal

from statements.engine.base import ProviderRules, StatementParser
from statements.engine.cells import RowReader
from statements.engine.cleaning import DateParser, acc_number_9, to_decimal
from statements.engine.errors import BadCell, MissingColumns, NoTransactions, UnknownFormat
from statements.engine.evidence import Evidence
from statements.engine.pdffacts import file_facts
from statements.engine.pdftable import Column, TableSpec, match_header, read_table
from statements.engine.pdftext import Probe, read_metadata
from statements.engine.rulebook.uatl import TABLE
from statements.engine.source import Source
from statements.engine.types import CREDIT, DEBIT, ParsedStatement, PdfMetadata, RawTxn, Summary
from statements.engine.vocabulary import BalanceMatch, FileKind, Format, ImplicitCharge, Provider, TamperingLevel

PROVIDER = Provider.UATL

F1_SPEC = TableSpec(
    columns=(
        Column("Transaction ID", ("Transaction ID",)),
        Column("Transaction Date", ("Transaction Date",)),
        Column("Description", ("Description",)),
        Column("Status", ("Status",)),
        Column("Transaction Amount", ("Transaction Amount",)),
        Column("Credit/Debit", ("Credit/Debit", "Credit / Debit")),
        Column("Fee", ("Fee",)),
        Column("Balance", ("Balance",)),
    ),
    key="Transaction ID",
    date="Transaction Date",
    min_matched=7,
)
F2_SPEC = TableSpec(
    columns=(
        Column("Date", ("Date",)),
        Column("Transation ID", ("Transation ID", "Transaction ID")),  # Airtel's own spelling first
        Column("Transaction Type", ("Transaction Type",)),
        Column("Description", ("Description",)),
        Column("From", ("From",)),
        Column("To", ("To",)),
        Column("Status", ("Status",)),
        Column("Amount", ("Amount",)),
        Column("Fee", ("Fee",)),
        Column("Balance", ("Balance",)),
    ),
    key="Transation ID",
    date="Date",
    min_matched=9,
)

F1_DATES = ("%d-%m-%y %I:%M %p", "%d-%m-%y %H:%M", "%d-%m-%Y %I:%M %p", "%d-%m-%Y %H:%M", "%d-%b-%y %I:%M %p")
F2_DATES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M:%S")
CSV_DATES = (
    "%d-%m-%y %I:%M %p", "%d-%b-%y %I:%M %p", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%y %H:%M", "%d-%m-%Y %H:%M",
)

_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z /&.()-]*?)\s*:\s*(?P<value>.*)$")
SUMMARY_FIELDS = ("Opening Balance", "Closing Balance", "Total Credit", "Total Debit")
_DIRECTIONS = {"credit": CREDIT, "cr": CREDIT, "c": CREDIT, "debit": DEBIT, "dr": DEBIT, "d": DEBIT}


# --------------------------------------------------------------------------- shared


def header_fields(blocks: list[str]) -> dict[str, str]:
    """``Label: value`` blocks of page 1 (or the CSV's summary lines)."""
    fields: dict[str, str] = {}
    for block in blocks:
        match = _LABEL.match(block.strip())
        if match and match["label"].strip() and match["label"].strip() not in fields:
            fields[" ".join(match["label"].split())] = match["value"].strip()
    return fields


def summary_balances(fields: dict[str, str]) -> dict[str, Decimal]:
    out = {}
    for name in SUMMARY_FIELDS:
        for label, value in fields.items():
            if label.casefold() == name.casefold():
                number = to_decimal(value)
                if number is not None:
                    out[name] = number
    return out


def direction_of(text: str) -> str:
    return _DIRECTIONS.get(text.strip().casefold(), "")


def airtel_txn(cells: dict[str, str], *, fmt: int, names: dict[str, str], reader: RowReader, row_no: int, dates: DateParser) -> RawTxn:
    """One Airtel row from its cells; ``names`` maps id/date/amount to this file's column names."""
    get = cells.get
    raw = {name: (get(name) or "").strip() for name in cells}
    when = reader.date(names["date"], raw.get(names["date"], ""), dates)
    amount = reader.number(names["amount"], raw.get(names["amount"], ""))
    fee = reader.fee("Fee", raw.get("Fee", ""))
    balance = reader.number("Balance", raw.get("Balance", ""))
    if fmt == 1:
        direction = direction_of(raw.get("Credit/Debit", ""))
        if not direction:
            raise BadCell(column="Credit/Debit", raw=raw.get("Credit/Debit", ""), row=reader.row, page=reader.page, what="Credit or Debit")
        amount = abs(amount) if direction == CREDIT else -abs(amount)
    else:
        direction = CREDIT if amount >= 0 else DEBIT
    return RawTxn(
        row_no=row_no,
        txn_id=raw.get(names["id"], ""),
        txn_date=when,
        amount=amount,
        fee=fee,
        balance=balance,
        description=raw.get("Description", ""),
        txn_type=raw.get("Transaction Type", ""),
        status=raw.get("Status", ""),
        direction=direction,
        from_acc=raw.get("From", ""),
        to_acc=raw.get("To", ""),
        page=reader.page,
        has_quality_issue=bool(reader.dirty),
        quality_notes=[f"{col}: {raw.get(col, '')!r} is not a clean number" for col in reader.dirty],
        raw=raw,
    )


# --------------------------------------------------------------------------- PDF


def pdf_format_of(source: Source) -> int | None:
    """1 or 2 from page 1's marker text, else from the first table header."""
    text = source.page1_text().upper()
    if "AIRTEL MONEY STATEMENT" in text:
        return 1
    if "USER STATEMENT" in text:
        return 2
    for line in source.page1_lines():
        lowered = line.text.casefold()
        if "taxes" in lowered and "fees" in lowered:
            continue  # MTN MoMo's header (it has a "Transaction Type" too): not Airtel's
        if match_header(line, F2_SPEC) or "transation id" in lowered or "transaction type" in lowered:
            return 2
        if match_header(line, F1_SPEC) or "credit/debit" in lowered or "transaction amount" in lowered:
            return 1
    return None


class _AirtelPdf(StatementParser):
    provider = PROVIDER
    kinds = frozenset({FileKind.PDF})
    number: int
    spec: TableSpec
    dates: tuple[str, ...]
    names: dict[str, str]

    def detect(self, source: Source) -> bool:
        return pdf_format_of(source) == self.number

    def parse(self, source: Source, *, acc_number: str | None = None) -> ParsedStatement:
        doc = source.pdf()
        probe = Probe.new()
        table = read_table(doc, self.spec, probe=probe)
        if not table.header_found:
            labels = ", ".join(c.name for c in self.spec.columns)
            raise NoTransactions(f"no transaction table in the PDF: no header row with {labels} on any of its {len(doc)} page(s)")
        if not table.rows:
            raise NoTransactions(f"the statement has no transactions: the table header is there but no rows under it ({len(doc)} page(s))")
        blocks = [block for line in table.page1_above for block in line.blocks()]
        fields = header_fields(blocks)
        dates = DateParser(self.dates)
        txns: list[RawTxn] = []
        for n, row in enumerate(table.rows, start=1):
            reader = RowReader(page=row.page, row=row.row)
            txns.append(airtel_txn(row.cells, fmt=self.number, names=self.names, reader=reader, row_no=n, dates=dates))
        mobile = fields.get("Mobile Number", "")
        return ParsedStatement(
            provider=PROVIDER,
            format=self.format,
            file_kind=FileKind.PDF,
            acc_number=acc_number_9(mobile) or acc_number,
            transactions=txns,
            header=fields,
            summary=summary_balances(fields),
            metadata=read_metadata(doc),
            page_count=len(doc),
            header_row_manipulation_count=table.header_repeats,
            evidence=Evidence(file=file_facts(source.data), pages=probe.pages),
        )


class AirtelPdfFormat1(_AirtelPdf):
    format = Format.PDF_FORMAT_1
    number = 1
    spec = F1_SPEC
    dates = F1_DATES
    names = {"id": "Transaction ID", "date": "Transaction Date", "amount": "Transaction Amount"}


class AirtelPdfFormat2(_AirtelPdf):
    format = Format.PDF_FORMAT_2
    number = 2
    spec = F2_SPEC
    dates = F2_DATES
    names = {"id": "Transation ID", "date": "Date", "amount": "Amount"}


# --------------------------------------------------------------------------- CSV export

CSV_REQUIRED = {
    1: ("Transaction ID", "Transaction Date", "Transaction Amount", "Credit/Debit", "Balance"),
    2: ("Transaction ID", "Transaction Date", "Transaction Amount", "Balance"),
}


def _csv_header_index(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows[:200]):
        cells = {c.strip().casefold() for c in row}
        if "transaction id" in cells and "transaction date" in cells:
            return i
    return None


class _AirtelCsv(StatementParser):
    provider = PROVIDER
    kinds = frozenset({FileKind.CSV, FileKind.GZIP_CSV})
    number: int

    def detect(self, source: Source) -> bool:
        rows = source.csv_rows()
        index = _csv_header_index(rows)
        if index is None:
            return False
        has_direction = any(c.strip().casefold() in ("credit/debit", "credit / debit") for c in rows[index])
        return has_direction == (self.number == 1)

    def parse(self, source: Source, *, acc_number: str | None = None) -> ParsedStatement:
        rows = source.csv_rows()
        index = _csv_header_index(rows)
        if index is None:
            raise UnknownFormat("a CSV file with no Airtel header row ('Transaction ID' and 'Transaction Date') in its first 200 lines")
        header = [" ".join(c.split()) for c in rows[index]]
        canonical = {h.casefold(): h for h in header}
        missing = [name for name in CSV_REQUIRED[self.number] if name.casefold() not in canonical]
        if missing:
            raise MissingColumns(missing, f"the CSV header row (line {index + 1})")
        # Summary lines above the header: "Opening Balance,Ugx 12,000" or "Opening Balance: Ugx 12,000".
        blocks = []
        for row in rows[:index]:
            texts = [c.strip() for c in row if c.strip()]
            if len(texts) >= 2:
                blocks.append(f"{texts[0].rstrip(':')}: {', '.join(texts[1:]) if len(texts) > 2 else texts[1]}")
            elif texts:
                blocks.append(texts[0])
        fields = header_fields(blocks)
        names = {"id": "Transaction ID", "date": "Transaction Date", "amount": "Transaction Amount"}
        rename = {h: _CSV_CANONICAL.get(h.casefold(), h) for h in header}
        dates = DateParser(CSV_DATES)
        txns: list[RawTxn] = []
        for line_no, row in enumerate(rows[index + 1 :], start=index + 2):
            if not any(c.strip() for c in row):
                continue
            cells = {rename[h]: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h}
            if not cells.get("Transaction ID", "").strip():
                continue
            reader = RowReader(page=None, row=line_no)
            txns.append(airtel_txn(cells, fmt=self.number, names=names, reader=reader, row_no=len(txns) + 1, dates=dates))
        if not txns:
            raise NoTransactions(f"the CSV has a header row (line {index + 1}) but no transaction rows under it")
        mobile = fields.get("Mobile Number", "") or fields.get("MSISDN", "")
        return ParsedStatement(
            provider=PROVIDER,
            format=self.format,
            file_kind=source.kind,
            acc_number=acc_number_9(mobile) or acc_number,
            transactions=txns,
            header=fields,
            summary=summary_balances(fields),
        )


_CSV_CANONICAL = {"credit / debit": "Credit/Debit", "fee": "Fee", "balance": "Balance", "status": "Status",
                  "description": "Description", "transaction type": "Transaction Type", "from": "From", "to": "To",
                  "transaction id": "Transaction ID", "transaction date": "Transaction Date",
                  "transaction amount": "Transaction Amount", "credit/debit": "Credit/Debit"}


class AirtelCsvFormat1(_AirtelCsv):
    format = Format.CSV_FORMAT_1
    number = 1


class AirtelCsvFormat2(_AirtelCsv):
    format = Format.CSV_FORMAT_2
    number = 2


# --------------------------------------------------------------------------- rules

# Airtel's rules are data in ``rulebook/uatl.py`` (TABLE); these names read from it.
FEE_INSIDE_AMOUNT = TABLE.fee_inside_amount
NOT_COMPLETED = TABLE.not_completed  # Airtel's Status column -> the row's special type (listed, but not a transaction)
IND02, CASHBACK = ImplicitCharge.IND02_COMMISSION, ImplicitCharge.MERCHANT_CASHBACK
IND02_RATE = next(rule.rate for rule in TABLE.implicit_charges if rule.kind == IND02)
CASHBACK_RATE = next(rule.rate for rule in TABLE.implicit_charges if rule.kind == CASHBACK)

GENUINE_F1 = TABLE.signatures["format 1"]
GENUINE_F2 = TABLE.signatures["format 2"]
EDITORS = TABLE.editors
SEVERITY = list(TamperingLevel)  # least to most severe


# Each signal reads a PDF's metadata (``tampering`` checks a CSV has none
# before asking) and returns its reason, or "" when the file does not show it.


def has_genuine_f1_signature(meta: PdfMetadata) -> bool:
    return meta.title == GENUINE_F1["title"] and meta.producer.startswith("Qt") and not meta.author


def signal_f1_modified(parsed: ParsedStatement, meta: PdfMetadata) -> str:
    if parsed.pdf_format == 1 and has_genuine_f1_signature(meta) and (meta.modified or meta.modified_raw):
        return f"format 1 file with Airtel's genuine signature (PDF Template, {meta.producer}) was modified ({meta.modified_raw})"
    return ""


def signal_user_author_editor(parsed: ParsedStatement, meta: PdfMetadata) -> str:
    producer = meta.producer.casefold()
    if meta.author.strip().upper() == "USER" and any(k in producer for k in ("microsoft", "word", "qt")) and (
        meta.created_raw and meta.modified_raw
    ):
        return f"Author 'USER' with producer '{meta.producer}' and both creation and modification dates (re-saved by hand)"
    return ""


def signal_f2_editor_producer(parsed: ParsedStatement, meta: PdfMetadata) -> str:
    producer = meta.producer.casefold()
    if parsed.pdf_format == 2 and any(editor in producer for editor in EDITORS):
        return f"format 2 file produced by an editor ('{meta.producer}'), not Airtel's iText"
    return ""


def signal_f2_header_rows(parsed: ParsedStatement) -> str:
    if parsed.pdf_format == 2 and parsed.header_row_manipulation_count:
        return f"{parsed.header_row_manipulation_count} table header row(s) inside the data, not at the top of a page (rows pasted in)"
    return ""


def signal_samsung(meta: PdfMetadata, summary: Summary) -> str:
    if meta.producer.strip().casefold() == "samsung electronics" and not (meta.title or meta.author or meta.created_raw):
        if summary.balance_match == BalanceMatch.SUCCESS and summary.balance_diff_change_ratio < Decimal("0.1"):
            return ""
        return (
            "printed by 'Samsung Electronics' with no title, author or creation date, and the balances do not hold "
            f"(balance {summary.balance_match}, change ratio {summary.balance_diff_change_ratio:.4f})"
        )
    return ""


def signal_pdfium_mismatch(meta: PdfMetadata, summary: Summary) -> str:
    bare = not (meta.title or meta.author or meta.creator or meta.created_raw or meta.modified_raw)
    if meta.producer.strip().casefold().startswith("pdfium") and bare and summary.balance_match != BalanceMatch.SUCCESS:
        return "re-saved through PDFium with all other metadata stripped, and the balances do not match"
    return ""


class AirtelRules(ProviderRules):
    """Airtel's table (fees, failed rows, specials, implicit charges) and its metadata signals."""

    provider = PROVIDER
    table = TABLE

    def tampering(self, parsed: ParsedStatement, summary: Summary) -> tuple[TamperingLevel, str]:
        meta = parsed.metadata
        if meta is None:
            return TamperingLevel.NO_ISSUES, "CSV export: no PDF metadata to check"
        signals = [
            (TamperingLevel.FATAL, signal_f1_modified(parsed, meta)),
            (TamperingLevel.FATAL, signal_user_author_editor(parsed, meta)),
            (TamperingLevel.FATAL, signal_f2_editor_producer(parsed, meta)),
            (TamperingLevel.FATAL, signal_f2_header_rows(parsed)),
            (TamperingLevel.CRITICAL, signal_samsung(meta, summary)),
            (TamperingLevel.WARNING, signal_pdfium_mismatch(meta, summary)),
        ]
        found = [(level, reason) for level, reason in signals if reason]
        if found:
            level = max((level for level, _ in found), key=SEVERITY.index)
            return level, "; ".join(reason for _, reason in found)
        if summary.balance_match == BalanceMatch.SUCCESS and has_genuine_f1_signature(meta):
            return TamperingLevel.NO_ISSUES, "genuine Airtel format 1 signature and the balances match"
        if meta.creator == GENUINE_F2["creator"] and meta.producer == GENUINE_F2["producer"]:
            return TamperingLevel.NO_ISSUES, "genuine Airtel format 2 signature (MOBIQUITY, iText)"
        return TamperingLevel.NO_ISSUES, "no tampering signal in the file's metadata"
