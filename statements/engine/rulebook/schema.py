"""The shape of a provider's rule table (``rulebook.uatl``, ``rulebook.umtn``).

Every rule carries an ``example``: a description (or status, or type) it
must match, which the rulebook test runs, so a table cannot hold a rule
that never fires.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from statements.engine.vocabulary import SpecialType


@dataclass(frozen=True)
class SpecialRule:
    """Rule 4: a description containing any of ``contains`` (any case) is a
    special transaction of ``kind``."""

    kind: str  # a SpecialType
    contains: tuple[str, ...]
    moves_balance: bool = True  # False: its amount does not move the running balance
    skipped: bool = False  # True: the row carries the previous row's balance difference
    example: str = ""


@dataclass(frozen=True)
class ChargeRule:
    """Rule 5: a charge the provider may apply silently, ``rate`` x the amount,
    on descriptions containing ``contains`` and none of ``unless``."""

    kind: str  # an ImplicitCharge
    contains: str
    rate: Decimal
    unless: tuple[str, ...] = ()
    example: str = ""


@dataclass(frozen=True)
class ProviderTable:
    provider: str
    # ---- rule 4: special transactions, first match wins (in this order)
    specials: tuple[SpecialRule, ...] = ()
    # ---- rows the provider lists but did not complete: status (upper case) -> SpecialType
    not_completed: Mapping[str, str] = field(default_factory=dict)
    # ---- rule 5: implicit charges, first match wins
    implicit_charges: tuple[ChargeRule, ...] = ()
    # ---- sign conventions
    fee_inside_amount: tuple[str, ...] = ()  # formats whose signed amount already includes the fee
    credit_types: frozenset[str] = frozenset()  # transaction types (upper case) that add to the balance
    debit_types: frozenset[str] = frozenset()  # ... that subtract from it
    positive_is_debit: frozenset[str] = frozenset()  # types whose positive amount is a debit (else a credit)
    # A row with no direction: its signed amount as read (False), or the
    # sign of how the balance moved since the row before (True: MTN's ADJUSTMENT).
    sign_from_balance: bool = False
    # A format whose types mean something else (MTN's customer PDF against its agent export): Format -> type -> Direction.
    format_type_directions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # ---- template facts: which forensic template reads each format, and the genuine file signatures
    templates: Mapping[str, str] = field(default_factory=dict)  # Format -> forensics.templates name
    signatures: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name -> PDF metadata field -> value
    editors: tuple[str, ...] = ()  # Producer words that name an editing tool

    def special_kinds(self) -> tuple[str, ...]:
        return tuple(rule.kind for rule in self.specials)

    def not_moving(self) -> frozenset[str]:
        """Kinds whose amount does not move the running balance (duplicates never do)."""
        return frozenset({SpecialType.DUPLICATE, *(r.kind for r in self.specials if not r.moves_balance)})

    def skipped(self) -> frozenset[str]:
        """Kinds that carry the previous row's balance difference (duplicates always)."""
        return frozenset({SpecialType.DUPLICATE, *(r.kind for r in self.specials if r.skipped)})
