"""Rule 4's special transactions as the seeds give them for every provider
(STATEMENT_FORMATS.md, "Processing and verification (all providers)").
A provider's table lists them (and its own)."""
from __future__ import annotations

from statements.engine.rulebook.schema import SpecialRule
from statements.engine.vocabulary import SpecialType

COMMISSION = SpecialRule(SpecialType.COMMISSION, ("commission disbursement",), moves_balance=False,
                         example="Commission Disbursement for agent float")
DEALLOCATION = SpecialRule(SpecialType.DEALLOCATION, ("deallocation",), moves_balance=False, skipped=True,
                           example="Float Deallocation 2025-09")
ROLLBACK = SpecialRule(SpecialType.ROLLBACK, ("rollback",), moves_balance=False, skipped=True, example="Rollback of txn 12")
REVERSAL = SpecialRule(SpecialType.REVERSAL, ("transaction reversal",), example="Transaction Reversal of payment")

SPECIALS = (COMMISSION, DEALLOCATION, ROLLBACK, REVERSAL)
