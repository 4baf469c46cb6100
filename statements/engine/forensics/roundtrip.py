"""The round-tripping signal (issue 18): one counterparty both sends and
receives a large share of the statement's money — turnover inflated by
sending money out and back. Counterparties come from
``statements.engine.counterparty`` (number, else name)."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from statements.engine.counterparty import counterparty
from statements.engine.evidence import Reason
from statements.engine.forensics import codes
from statements.engine.types import ProcessedTxn, RawTxn

# Both sides at least this share of the statement's credits and of its debits.
SHARE = Decimal("0.3")
# Below this turnover (UGX) a shared counterparty is ordinary life, not a pattern.
MIN_TURNOVER = Decimal("100000")


def round_tripping(transactions: Sequence[ProcessedTxn], holder: str | None) -> list[Reason]:
    seen: dict[tuple[str, str, str], tuple[str, str]] = {}  # a statement repeats its descriptions: read each once
    sums: dict[str, list[Decimal]] = {}
    names: dict[str, str] = {}
    first_row: dict[str, RawTxn] = {}
    credits = debits = Decimal(0)
    for p in transactions:
        if p.skipped or p.is_duplicate:
            continue
        raw = p.raw
        key3 = (raw.description, raw.from_acc, raw.to_acc)
        party = seen.get(key3)
        if party is None:
            party = seen[key3] = counterparty(raw, holder)
        number, name = party
        key = number or name.casefold()
        amount = p.amount
        if amount > 0:
            credits += amount
        else:
            debits -= amount
        if not key:
            continue
        pair = sums.setdefault(key, [Decimal(0), Decimal(0)])
        pair[0 if amount > 0 else 1] += abs(amount)
        names.setdefault(key, " ".join(x for x in (name, number) if x))
        first_row.setdefault(key, raw)
    if credits + debits < MIN_TURNOVER or not credits or not debits:
        return []
    out = []
    for key, (money_in, money_out) in sums.items():
        if money_in / credits >= SHARE and money_out / debits >= SHARE:
            row = first_row[key]
            out.append(Reason(codes.ROUND_TRIPPING, f"{names[key]} both sent {money_in:,} ({money_in / credits:.0%} of the money in) and received "
                              f"{money_out:,} ({money_out / debits:.0%} of the money out): money going out and back?",
                              codes.WEIGHTS[codes.ROUND_TRIPPING], row.page, row.row_no, "Description"))
    return out[:3]
