"""Parsers behind one small interface, and the registry that picks one.

A parser is a class with ``provider``, ``format``, the file ``kinds`` it
reads, ``detect(source)`` and ``parse(source, acc_number=...)``; decorating
it with ``@register`` is all it takes to add a provider or a format. Each
provider also registers its processing rules (``ProviderRules``): how a row
moves the balance, which rows are not transactions, implicit charges and
the file's tampering signals.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from statements.engine import sniff
from statements.engine.errors import UnknownFormat

if TYPE_CHECKING:
    import pypdfium2

    from statements.engine.pdftext import Line
    from statements.engine.types import ParsedStatement, RawTxn, Summary


@dataclass
class Source:
    """One file's bytes and, lazily, the views parsers read it through."""

    data: bytes
    kind: str
    password: str | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, *, password: str | None = None) -> Source:
        return cls(data=data, kind=sniff.sniff_kind(data), password=password)

    # ---- PDF
    def pdf(self) -> pypdfium2.PdfDocument:
        if "pdf" not in self._cache:
            from statements.engine.pdftext import open_pdf, require_text

            doc = open_pdf(self.data, self.password)
            require_text(doc)
            self._cache["pdf"] = doc
        return self._cache["pdf"]

    def page1_lines(self) -> list[Line]:
        if "page1" not in self._cache:
            from statements.engine.pdftext import group_lines, page_words

            doc = self.pdf()
            self._cache["page1"] = group_lines(page_words(doc, 0)) if len(doc) else []
        return self._cache["page1"]

    def page1_text(self) -> str:
        return "\n".join(line.text for line in self.page1_lines())

    # ---- text
    def text(self) -> str:
        if "text" not in self._cache:
            self._cache["text"] = sniff.decode_text(self.data, self.kind)
        return self._cache["text"]

    def csv_rows(self) -> list[list[str]]:
        if "csv" not in self._cache:
            text = self.text()
            sample = text[:4096]
            # The delimiter seen most in the first lines (exports use commas;
            # a re-saved file may use semicolons or tabs).
            delimiter = max(",;\t", key=sample.count)
            self._cache["csv"] = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        return self._cache["csv"]

    def close(self) -> None:
        doc = self._cache.pop("pdf", None)
        if doc is not None:
            doc.close()


class StatementParser:
    """Reads one provider's statements of one format."""

    provider: ClassVar[str] = ""
    format: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset()

    def detect(self, source: Source) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def parse(self, source: Source, *, acc_number: str | None = None) -> ParsedStatement:  # pragma: no cover
        raise NotImplementedError


class ProviderRules:
    """A provider's processing rules; the general rules live in ``verify``."""

    provider: ClassVar[str] = ""

    def base_effect(self, txn: RawTxn, prev_balance: Decimal | None, fmt: str) -> Decimal:
        """How the row moves the running balance (implicit charges apart)."""
        return txn.amount - txn.fee

    def direction(self, txn: RawTxn, effect: Decimal) -> str:
        from statements.engine.types import CREDIT, DEBIT

        if txn.direction:
            return txn.direction
        return CREDIT if effect + txn.fee >= 0 else DEBIT

    def not_a_transaction(self, txn: RawTxn) -> str:
        """A label when the row is in the file but is not a transaction
        (it does not move the balance), else ""."""
        return ""

    def implicit_charge(self, txn: RawTxn) -> tuple[str, Decimal] | None:
        """(kind, amount) of a charge the provider may silently apply."""
        return None

    def tampering(self, parsed: ParsedStatement, summary: Summary) -> tuple[str, str]:
        return "NO_ISSUES", "no file signals to check for this kind of file"


PARSERS: list[StatementParser] = []
RULES: dict[str, ProviderRules] = {}


def register(cls):
    """Class decorator: a parser or a provider's rules."""
    if issubclass(cls, ProviderRules):
        RULES[cls.provider] = cls()
    else:
        PARSERS.append(cls())
    return cls


def _load_providers() -> None:
    # Importing the provider modules runs their @register decorators.
    from statements.engine.providers import uatl, umtn  # noqa: F401


def rules_for(provider: str) -> ProviderRules:
    _load_providers()
    return RULES.get(provider) or ProviderRules()


def choose_parser(source: Source, provider: str | None = None) -> StatementParser:
    """The parser for this file: detected from its content; an explicit
    provider hint (from the statement request) restricts the choice."""
    _load_providers()
    candidates = [p for p in PARSERS if source.kind in p.kinds]
    detected = [p for p in candidates if p.detect(source)]
    if provider:
        hinted = [p for p in detected if p.provider == provider]
        if hinted:
            return hinted[0]
        if detected:
            other = detected[0]
            raise UnknownFormat(
                f"the statement request says provider {provider}, but this {source.kind} file is a {other.provider} "
                f"statement ({other.format})"
            )
        # Nothing recognised the file, but the request names the provider and
        # only one of its parsers reads this kind of file: let that parser
        # say what is wrong (e.g. which required columns are missing) rather
        # than a vague "unknown format".
        only = [p for p in candidates if p.provider == provider]
        if len(only) == 1:
            return only[0]
    if detected:
        return detected[0]
    raise UnknownFormat(_no_parser_message(source))


def _no_parser_message(source: Source) -> str:
    if source.kind == sniff.PDF:
        first = source.page1_text().strip().splitlines()[:1]
        return (
            "a PDF that is no known statement format: page 1 has neither 'AIRTEL MONEY STATEMENT' nor 'USER STATEMENT' "
            f"nor a known transaction table header (it starts {first[0][:60]!r})" if first else "a PDF with no text on page 1"
        )
    if source.kind in (sniff.CSV, sniff.GZIP_CSV):
        rows = [r for r in source.csv_rows() if any(cell.strip() for cell in r)][:1]
        start = ", ".join(rows[0])[:80] if rows else "(empty)"
        return (
            "a CSV file with no statement header: expected Airtel's 'Transaction ID' and 'Transaction Date' "
            f"columns or MTN's 'Date / Time' ... 'Float Balance' columns; the first line is {start!r}"
        )
    return f"a {source.kind} file with no known statement header in its first row"
