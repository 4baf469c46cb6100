"""What a provider implements: its parsers and its processing rules.

A parser is a class with ``provider``, ``format``, the file ``kinds`` it
reads, ``detect(source)`` and ``parse(source, acc_number=...)``. A
provider's ``ProviderRules`` say how a row moves the balance, which rows are
special or not transactions, which charges it applies silently and what the
file's tampering signals are. What those are for a provider is data: its
``table`` (``statements.engine.rulebook``); the methods here apply any
table, with no branch per provider. The general rules live in ``verify``.
Both are registered in ``parsers.default_registry``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from statements.engine.rulebook import common
from statements.engine.rulebook.schema import ProviderTable
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


DEFAULT_TABLE = ProviderTable(provider="", specials=common.SPECIALS)


class ProviderRules:
    """A provider's processing rules, applying its ``table``; the default
    table (rule 4's specials, nothing else) suits a provider with none of its own."""

    provider: ClassVar[str] = ""
    table: ClassVar[ProviderTable] = DEFAULT_TABLE

    def __init__(self) -> None:
        table = self.table
        # Worked out once: the loops ask these once a row.
        self._needles = tuple((needle.casefold(), rule.kind) for rule in table.specials for needle in rule.contains)
        self._not_moving = table.not_moving()
        self._skipped = table.skipped()
        self._fee_inside = tuple(table.fee_inside_amount)
        self._charges = tuple((rule.contains.upper(), tuple(u.upper() for u in rule.unless), rule.kind, rule.rate)
                              for rule in table.implicit_charges)
        self._not_completed = dict(table.not_completed)
        self._sign_from_balance = table.sign_from_balance

    def special_type(self, description: str) -> str:
        """Rule 4: the row's special kind (a ``SpecialType``) from its description, or ""."""
        text = description.casefold()
        for needle, kind in self._needles:
            if needle in text:
                return kind
        return ""

    def moves_balance(self, kind: str) -> bool:
        """Whether a row of this kind moves the running balance."""
        return kind not in self._not_moving

    def is_skipped(self, kind: str) -> bool:
        """Whether a row of this kind carries the previous row's balance difference."""
        return kind in self._skipped

    def base_effect(self, txn: RawTxn, prev_balance: Decimal | None, fmt: str) -> Decimal:
        """How the row moves the running balance (implicit charges apart):
        the signed amount where the format's amounts include the fee; else
        the amount by its direction, less the fee; a row with no direction
        is its signed amount less the fee, or, where the table says so, takes
        its sign from how the balance moved since the row before. The fee
        here is fee + tax (MTN MoMo PDFs' Taxes move the balance too)."""
        amount = txn.amount
        if fmt in self._fee_inside:
            return amount
        direction = txn.direction
        charges = txn.fee + txn.tax
        if direction == CREDIT:
            return abs(amount) - charges
        if direction == DEBIT:
            return -abs(amount) - charges
        if not self._sign_from_balance:
            return amount - charges
        if prev_balance is not None and txn.balance - prev_balance + charges < 0:
            return -abs(amount) - charges
        return abs(amount) - charges

    def direction(self, txn: RawTxn, effect: Decimal) -> str:
        if txn.direction:
            return txn.direction
        return CREDIT if effect + txn.fee + txn.tax >= 0 else DEBIT

    def not_a_transaction(self, txn: RawTxn) -> str:
        """A label (a ``SpecialType``) when the row is in the file but is not
        a transaction (it does not move the balance), else ""."""
        if not self._not_completed:
            return ""
        return self._not_completed.get(txn.status.strip().upper(), "")

    def implicit_charge(self, txn: RawTxn) -> tuple[str, Decimal] | None:
        """(kind, amount) of a charge the provider may silently apply (kind: an ``ImplicitCharge``)."""
        if not self._charges:
            return None
        description = txn.description.upper()
        for contains, unless, kind, rate in self._charges:
            if contains in description and not any(u in description for u in unless):
                return kind, abs(txn.amount) * rate
        return None

    def tampering(self, parsed: ParsedStatement, summary: Summary) -> tuple[TamperingLevel, str]:
        return TamperingLevel.NO_ISSUES, "no file signals to check for this kind of file"
