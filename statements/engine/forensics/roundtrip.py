"""The round-tripping signals (issue 18): one counterparty both sends and
receives a large share of the statement's money — turnover inflated by
sending money out and back (``round_tripping``) — or a large share goes to
(or comes from) the account holder's own other number
(``own_number_transfers``). Counterparties come from
``statements.engine.counterparty`` (number, else name).

The engine does not know the holder's other numbers: the back office does
(the customer's phones, the statement request's alternate account), so
``statements.risk`` gathers them, normalises both sides and hands this
module the flows per number."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from statements.engine.counterparty import counterparty
from statements.engine.evidence import Reason
from statements.engine.forensics import codes
from statements.engine.types import ProcessedTxn, RawTxn

# Both sides at least this share of the statement's credits and of its debits.
SHARE = Decimal("0.3")
# The holder's own other number: this share of the money in, or of the money out, is enough.
OWN_SHARE = Decimal("0.2")
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


@dataclass(frozen=True, slots=True)
class Flow:
    """The money one counterparty number sent (``money_in``) and received
    (``money_out``, positive) on a statement, and the first row it is on."""

    number: str  # as the statement wrote it
    money_in: Decimal
    money_out: Decimal
    page: int | None = None
    row: int | None = None


def _masked(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"…{digits[-3:]}" if digits else number


def own_number_transfers(flows: Iterable[tuple[Flow, str]], credits: Decimal, debits: Decimal) -> list[Reason]:
    """Reasons for the holder's own other numbers that received at least
    ``OWN_SHARE`` of the money out or sent at least that share of the money
    in. ``flows``: each flow to one of the holder's other numbers, with where
    the back office knows that number from ("the customer's secondary
    phone"). ``credits``/``debits``: the statement's money in and out
    (positive). Numbers are masked to their last three digits."""
    if credits + debits < MIN_TURNOVER:
        return []
    out = []
    for flow, known_as in sorted(flows, key=lambda pair: -(pair[0].money_in + pair[0].money_out)):
        parts = []
        if debits and flow.money_out / debits >= OWN_SHARE:
            parts.append(f"received UGX {flow.money_out:,} ({flow.money_out / debits:.0%} of the money out)")
        if credits and flow.money_in / credits >= OWN_SHARE:
            parts.append(f"sent UGX {flow.money_in:,} ({flow.money_in / credits:.0%} of the money in)")
        if parts:
            out.append(Reason(codes.OWN_NUMBER, f"{_masked(flow.number)}, the account holder's own other number ({known_as}), "
                              f"{' and '.join(parts)}: money moved between the holder's own accounts?",
                              codes.WEIGHTS[codes.OWN_NUMBER], flow.page, flow.row, "Description"))
    return out[:3]


def flows_by_number(flows: Iterable[Flow], own: Mapping[str, str], normalise: Callable[[str], str | None]) -> list[tuple[Flow, str]]:
    """The flows whose number (``normalise``d) is one of ``own`` (normalised
    number -> where it is known from)."""
    found = []
    for flow in flows:
        key = normalise(flow.number)
        if key and key in own:
            found.append((flow, own[key]))
    return found
