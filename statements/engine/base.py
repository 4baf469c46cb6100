"""What a provider implements: its parsers and its processing rules.

A parser is a class with ``provider``, ``format``, the file ``kinds`` it
reads, ``detect(source)`` and ``parse(source, acc_number=...)``. A
provider's ``ProviderRules`` say how a row moves the balance, which rows are
not transactions, which charges it applies silently and what the file's
tampering signals are; the general rules live in ``verify``. Both are
registered in ``parsers.default_registry``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from statements.engine.source import Source
from statements.engine.types import CREDIT, DEBIT, ParsedStatement, RawTxn, Summary
from statements.engine.vocabulary import FileKind, Format, Provider, TamperingLevel


class StatementParser:
    """Reads one provider's statements of one format."""

    provider: ClassVar[Provider]
    format: ClassVar[Format]
    kinds: ClassVar[frozenset[FileKind]] = frozenset()

    def detect(self, source: Source) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def parse(self, source: Source, *, acc_number: str | None = None) -> ParsedStatement:  # pragma: no cover
        raise NotImplementedError


class ProviderRules:
    """A provider's processing rules; these defaults suit a provider with none of its own."""

    provider: ClassVar[str] = ""

    def base_effect(self, txn: RawTxn, prev_balance: Decimal | None, fmt: str) -> Decimal:
        """How the row moves the running balance (implicit charges apart)."""
        return txn.amount - txn.fee

    def direction(self, txn: RawTxn, effect: Decimal) -> str:
        if txn.direction:
            return txn.direction
        return CREDIT if effect + txn.fee >= 0 else DEBIT

    def not_a_transaction(self, txn: RawTxn) -> str:
        """A label (a ``SpecialType``) when the row is in the file but is not
        a transaction (it does not move the balance), else ""."""
        return ""

    def implicit_charge(self, txn: RawTxn) -> tuple[str, Decimal] | None:
        """(kind, amount) of a charge the provider may silently apply (kind: an ``ImplicitCharge``)."""
        return None

    def tampering(self, parsed: ParsedStatement, summary: Summary) -> tuple[TamperingLevel, str]:
        return TamperingLevel.NO_ISSUES, "no file signals to check for this kind of file"
