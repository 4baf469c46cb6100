"""MTN MoMo Uganda (``UMTN``) PDF statements, as customers download them.

Publicly described layout (STATEMENT_FORMATS.md): a header with the account
holder and ``Mobile Number``; a table of date and time (``DD-MM-YYYY`` and
``hh:mm:ss``, often glued by the text layer: ``19-09-202514:07:27``),
transaction type (``Cash Out``, ``Cash In``, ``Transfer``, ``Payment``),
description, transaction ID, From/To, then ``Amount``, ``Fees``, ``Taxes``
and ``Balance``, each written ``UGX 20,000``. Rows usually run newest
first. Read through the same pypdfium2 text layer as Airtel's PDFs
(``pdftable``), so the forensic evidence is gathered in the same pass.

The rows are returned in ledger order (oldest first) whatever the file's
order. ``Transfer`` goes either way: the direction is taken from how the
balance moved from the row before (the type's own direction for the other
types; a row whose movement contradicts its type is noted in the
statement's warnings and left to the balance check). The row's ``fee``
is the Fees column and its ``tax`` the Taxes column; the balance moves by
amount + fee + tax. The text of each is kept in the row's ``raw`` and
``extra``.
"""
from __future__ import annotations

import re
from decimal import Decimal

from statements.engine.base import StatementParser
from statements.engine.cells import RowReader
from statements.engine.cleaning import DateParser, acc_number_9
from statements.engine.errors import NoTransactions
from statements.engine.evidence import Evidence
from statements.engine.pdffacts import file_facts
from statements.engine.pdftable import Column, TableSpec, match_header, read_table
from statements.engine.pdftext import Probe, read_metadata
from statements.engine.providers.uatl import header_fields, summary_balances
from statements.engine.rulebook.umtn import TABLE
from statements.engine.source import Source
from statements.engine.types import CREDIT, DEBIT, ParsedStatement, RawTxn
from statements.engine.vocabulary import FileKind, Format, Provider

PROVIDER = Provider.UMTN
TOLERANCE = Decimal("0.01")

MOMO_SPEC = TableSpec(
    columns=(
        Column("Date", ("Date / Time", "Date/Time", "Date & Time", "Date")),
        Column("Transaction Type", ("Transaction Type", "Type")),
        Column("Description", ("Description", "Details")),
        Column("Transaction ID", ("Transaction ID", "Txn ID")),
        Column("From/To", ("From/To", "From / To", "Counterparty")),
        Column("Amount", ("Amount",)),
        Column("Fees", ("Fees", "Fee")),
        Column("Taxes", ("Taxes", "Tax")),
        Column("Balance", ("Balance",)),
    ),
    key="Transaction ID",
    date="Date",
    min_matched=8,
)
# Glued (``19-09-202514:07:27``) or spaced; a date over its time reads spaced.
DATES = ("%d-%m-%Y%H:%M:%S", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y%H:%M:%S", "%Y-%m-%d %H:%M:%S")
# The direction each type implies (rulebook/umtn.py); others (Transfer) go either way: from the balance movement.
TYPE_DIRECTION = TABLE.format_type_directions[Format.MOMO_PDF]
HOLDER_LABELS = ("Account Holder", "Customer Name", "Name")
_SIGNED_CURRENCY = re.compile(r"^([+-])\s*(?:UGX)\s*", re.IGNORECASE)
_FROM_WORDS = re.compile(r"\b(from|received|receive|deposit)\b", re.IGNORECASE)
_TO_WORDS = re.compile(r"\b(to|sent|send|paid)\b", re.IGNORECASE)


def is_momo_pdf(source: Source) -> bool:
    """Page 1 holds MoMo's table header (its Fees and Taxes columns tell it from Airtel's)."""
    for line in source.page1_lines():
        if MOMO_SPEC.may_be_header(line):
            found = match_header(line, MOMO_SPEC)
            if found is not None and any(name == "Taxes" for name, _ in found):
                return True
    return False


def _money_text(text: str) -> str:
    """``-UGX 5,000`` -> ``-5,000`` (the cleaner strips a leading currency only)."""
    return _SIGNED_CURRENCY.sub(r"\1", text.strip())


def direction_from_text(description: str, party: str) -> str:
    """A transfer's direction from its words ("Transfer from ..." / "to ..."), or ""."""
    text = f"{description} {party}"
    from_at = _FROM_WORDS.search(text)
    to_at = _TO_WORDS.search(text)
    if from_at and (not to_at or from_at.start() < to_at.start()):
        return CREDIT
    if to_at:
        return DEBIT
    return ""


def derive_directions(txns: list[RawTxn], opening: Decimal | None, warnings: list[str]) -> None:
    """Give each row (in ledger order) its direction and signed amount.

    The type says it for Cash In/Cash Out/Payment; a Transfer's comes from
    the balance movement since the row before (credit: amount - charges,
    debit: -(amount + charges)), the nearer of the two when neither fits;
    the first row, with no row before, uses the stated opening balance when
    the header has one, else the description's words. A typed row whose
    movement fits only the other direction is noted (the balance check
    then fails on it); a repeated row takes its first's direction."""
    prev = opening
    seen: dict[tuple[str, object, Decimal, str], str] = {}
    for t in txns:
        amount, charges = abs(t.amount), t.fee + t.tax
        key = (t.txn_id, t.txn_date, amount, t.description)
        if key in seen:
            # A repeat of an earlier row (rule 2 marks it) reads as that row did.
            t.direction = seen[key]
            t.amount = amount if t.direction == CREDIT else -amount
            continue
        credit_effect, debit_effect = amount - charges, -amount - charges
        moved = t.balance - prev if prev is not None else None
        fits_credit = moved is not None and abs(moved - credit_effect) <= TOLERANCE
        fits_debit = moved is not None and abs(moved - debit_effect) <= TOLERANCE
        typed = TYPE_DIRECTION.get(t.txn_type.upper(), "")
        signed = CREDIT if t.amount > 0 and t.raw.get("Amount", "").lstrip().startswith("+") else (
            DEBIT if t.amount < 0 else "")
        claimed = typed or signed
        if claimed:
            direction = claimed
            if (claimed == CREDIT and fits_debit and not fits_credit) or (claimed == DEBIT and fits_credit and not fits_debit):
                warnings.append(f"page {t.page}, row {t.extra.get('file_row')}: {t.txn_type or 'the row'} should be a "
                                f"{claimed}, but the balance moved the other way")
        elif fits_credit != fits_debit:
            direction = CREDIT if fits_credit else DEBIT
        elif moved is not None and not fits_credit:
            direction = CREDIT if abs(moved - credit_effect) < abs(moved - debit_effect) else DEBIT
        else:
            direction = direction_from_text(t.description, t.from_acc) or CREDIT
        t.direction = seen[key] = direction
        t.amount = amount if direction == CREDIT else -amount
        prev = t.balance


class MtnMomoPdf(StatementParser):
    """MTN MoMo's PDF statement (``momo_pdf``)."""

    provider = PROVIDER
    format = Format.MOMO_PDF
    kinds = frozenset({FileKind.PDF})

    def detect(self, source: Source) -> bool:
        return is_momo_pdf(source)

    def parse(self, source: Source, *, acc_number: str | None = None) -> ParsedStatement:
        doc = source.pdf()
        probe = Probe.new()
        table = read_table(doc, MOMO_SPEC, probe=probe)
        if not table.header_found:
            labels = ", ".join(c.name for c in MOMO_SPEC.columns)
            raise NoTransactions(f"no transaction table in the PDF: no header row with {labels} on any of its {len(doc)} page(s)")
        if not table.rows:
            raise NoTransactions(f"the statement has no transactions: the table header is there but no rows under it ({len(doc)} page(s))")
        fields = header_fields([block for line in table.page1_above for block in line.blocks()])
        mobile = acc_number_9(fields.get("Mobile Number", ""))
        dates = DateParser(DATES)
        txns: list[RawTxn] = []
        for n, row in enumerate(table.rows, start=1):
            reader = RowReader(page=row.page, row=row.row)
            raw = {name: (text or "").strip() for name, text in row.cells.items()}
            when = reader.date("Date", raw.get("Date", ""), dates)
            amount = reader.number("Amount", _money_text(raw.get("Amount", "")))
            fees = reader.fee("Fees", _money_text(raw.get("Fees", "")))
            taxes = reader.fee("Taxes", _money_text(raw.get("Taxes", "")))
            balance = reader.number("Balance", _money_text(raw.get("Balance", "")))
            party = raw.get("From/To", "")
            txns.append(
                RawTxn(
                    row_no=n,
                    txn_id=raw.get("Transaction ID", ""),
                    txn_date=when,
                    amount=amount,
                    fee=fees,
                    tax=taxes,
                    balance=balance,
                    description=raw.get("Description", ""),
                    txn_type=" ".join(raw.get("Transaction Type", "").split()),
                    from_acc=party,
                    page=row.page,
                    has_quality_issue=bool(reader.dirty),
                    quality_notes=[f"{col}: {raw.get(col, '')!r} is not a clean number" for col in reader.dirty],
                    raw=raw,
                    # Stored as JSON (RawTransaction.extra): text, not Decimal.
                    extra={"fees": str(fees), "taxes": str(taxes), "raw_taxes": raw.get("Taxes", ""), "file_row": row.row},
                )
            )
        # Ledger order, whatever the file's: newest first is reversed (the
        # file's order of rows sharing a second is kept, reversed with it).
        if len(txns) > 1 and txns[0].txn_date > txns[-1].txn_date:
            txns.reverse()
        stated = summary_balances(fields)
        warnings: list[str] = []
        derive_directions(txns, stated.get("Opening Balance"), warnings)
        holder = mobile or acc_number
        for t in txns:
            # From/To names the other side; the holder is the other end.
            party = t.from_acc
            t.from_acc, t.to_acc = (party, holder or "") if t.direction == CREDIT else (holder or "", party)
        return ParsedStatement(
            provider=PROVIDER,
            format=Format.MOMO_PDF,
            file_kind=FileKind.PDF,
            acc_number=mobile or acc_number,
            transactions=txns,
            header=fields,
            summary=stated,
            metadata=read_metadata(doc),
            page_count=len(doc),
            header_row_manipulation_count=table.header_repeats,
            warnings=warnings,
            evidence=Evidence(file=file_facts(source.data), pages=probe.pages),
        )
