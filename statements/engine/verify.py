"""The general processing and verification rules (STATEMENT_FORMATS.md,
"Processing and verification"), each a small function over plain lists.

Provider-specific pieces (how a row moves the balance, failed rows, implicit
charges, tampering) come in through ``ProviderRules``; ``process`` runs the
whole chain and returns a ``StatementResult``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import permutations

from statements.engine.registry import ProviderRules, rules_for
from statements.engine.types import ZERO, ParsedStatement, ProcessedTxn, RawTxn, StatementResult, Summary

TOLERANCE = Decimal("0.01")
MAX_REORDER = 6
ONE_DAY = timedelta(days=1)
SUCCESS, FAILED = "Success", "Failed"
COMMISSION, DEALLOCATION, ROLLBACK, REVERSAL, DUPLICATE = (
    "Commission Disbursement", "Deallocation", "Rollback", "Transaction Reversal", "Duplicate",
)

# effect(txn, previous stated balance) -> how the row moves the running balance
Effect = Callable[[RawTxn, "Decimal | None"], Decimal]


# --------------------------------------------------------------------------- rule 2: duplicates


def mark_duplicates(txns: Sequence[RawTxn]) -> list[bool]:
    """True for each repeat of (txn_id, txn_date, amount, description); the first is kept."""
    seen: set = set()
    out = []
    for t in txns:
        key = (t.txn_id, t.txn_date, t.amount, t.description)
        out.append(key in seen)
        seen.add(key)
    return out


# --------------------------------------------------------------------------- rule 3: order


def order_rows(txns: Sequence[RawTxn]) -> list[int]:
    """Indexes of ``txns`` by timestamp, then stated balance descending."""
    return sorted(range(len(txns)), key=lambda i: (txns[i].txn_date, -txns[i].balance))


def local_matches(rows: Sequence[RawTxn], prev: Decimal | None, effect: Effect) -> int:
    """How many rows land on their stated balance starting from ``prev``."""
    matched = 0
    for t in rows:
        if prev is not None and abs(prev + effect(t, prev) - t.balance) <= TOLERANCE:
            matched += 1
        prev = t.balance
    return matched


def best_order(rows: Sequence[RawTxn], prev: Decimal | None, effect: Effect, following: RawTxn | None = None) -> list[int]:
    """The order of same-timestamp ``rows`` (up to 6) in which most match their
    stated balance; the given order wins ties.

    ``following`` (the first row after the group) counts too: at the start
    of a statement there is no previous balance, and two orders of a group
    can both be consistent inside it while only one leads on to the next row.
    """
    n = len(rows)
    identity = list(range(n))
    tail = [following] if following is not None else []
    best = local_matches([*rows, *tail], prev, effect)
    perfect = n + len(tail) - (prev is None)
    if n < 2 or n > MAX_REORDER or best == perfect:
        return identity
    best_perm = identity
    for perm in permutations(range(n)):
        score = local_matches([*(rows[i] for i in perm), *tail], prev, effect)
        if score > best:
            best, best_perm = score, list(perm)
            if score == perfect:
                break
    return best_perm


def reorder_same_timestamp(rows: list[RawTxn], effect: Effect) -> list[RawTxn]:
    """Rows sharing a timestamp, reordered so the most match their balances."""
    out: list[RawTxn] = []
    i, n = 0, len(rows)
    while i < n:
        j = i + 1
        when = rows[i].txn_date
        while j < n and rows[j].txn_date == when:
            j += 1
        group = rows[i:j]
        if len(group) > 1:
            prev = out[-1].balance if out else None
            group = [group[k] for k in best_order(group, prev, effect, rows[j] if j < n else None)]
        out.extend(group)
        i = j
    return out


# --------------------------------------------------------------------------- rule 4: specials


def special_type(description: str) -> str:
    """The special kind of a transaction from its description, or ""."""
    text = description.casefold()
    if "commission disbursement" in text:
        return COMMISSION
    if "deallocation" in text:
        return DEALLOCATION
    if "rollback" in text:
        return ROLLBACK
    if "transaction reversal" in text:
        return REVERSAL
    return ""


def moves_balance(kind: str) -> bool:
    """Whether a special transaction's amount moves the running balance."""
    return kind not in (COMMISSION, DEALLOCATION, ROLLBACK, DUPLICATE)


def is_skipped(kind: str) -> bool:
    """Skipped rows carry the previous row's balance difference."""
    return kind in (DEALLOCATION, ROLLBACK, DUPLICATE)


# --------------------------------------------------------------------------- rule 5: implicit charges


def choose_implicit_charges(rows: Sequence[RawTxn], charges: Sequence[tuple[str, Decimal] | None], effect: Effect) -> dict[str, bool]:
    """Per kind of implicit charge: apply it when more of its rows then match
    their stated balance than without it (compared row by row from the
    previous row's stated balance)."""
    with_charge: dict[str, int] = {}
    without: dict[str, int] = {}
    prev = None
    for t, charge in zip(rows, charges):
        if charge is not None and prev is not None:
            kind, amount = charge
            base = prev + effect(t, prev)
            with_charge[kind] = with_charge.get(kind, 0) + (abs(base + amount - t.balance) <= TOLERANCE)
            without[kind] = without.get(kind, 0) + (abs(base - t.balance) <= TOLERANCE)
        prev = t.balance
    return {kind: with_charge[kind] > without.get(kind, 0) for kind in with_charge}


# --------------------------------------------------------------------------- rule 6: balances


def running_balance(effects: Sequence[Decimal], stated: Sequence[Decimal], skipped: Sequence[bool]) -> tuple[Decimal | None, list[Decimal], list[Decimal]]:
    """(opening, calculated balances, balance_diffs). The opening balance is
    worked back from the first row that moves the balance; a skipped row
    keeps the previous calculated balance and difference."""
    first = next((i for i, s in enumerate(skipped) if not s), None)
    if first is None:
        return None, list(stated), [ZERO] * len(stated)
    opening = stated[first] - effects[first]
    calc = opening
    diff = ZERO
    calcs, diffs = [], []
    for effect, balance, skip in zip(effects, stated, skipped):
        if not skip:
            calc = calc + effect
            diff = calc - balance
        calcs.append(calc)
        diffs.append(diff)
    return opening, calcs, diffs


def diff_changes(diffs: Sequence[Decimal]) -> list[bool]:
    """True where the balance difference moved by more than 0.01 from the row before."""
    out = [False] * len(diffs)
    for i in range(1, len(diffs)):
        out[i] = abs(diffs[i] - diffs[i - 1]) > TOLERANCE
    return out


def gap_days(dates: Sequence[datetime]) -> list[int]:
    """Whole days since the previous row when more than one day passed, else 0."""
    out = [0] * len(dates)
    for i in range(1, len(dates)):
        delta = dates[i] - dates[i - 1]
        if delta > ONE_DAY:
            out[i] = delta.days
    return out


def gap_related_changes(gaps: Sequence[int], changes: Sequence[bool]) -> int:
    """Balance-difference changes right after a gap of more than one day."""
    return sum(1 for gap, changed in zip(gaps, changes) if gap and changed)


def balance_match(calculated_closing: Decimal | None, stated_closing: Decimal | None) -> str:
    if calculated_closing is None or stated_closing is None:
        return FAILED
    return SUCCESS if abs(calculated_closing - stated_closing) <= TOLERANCE else FAILED


# --------------------------------------------------------------------------- rules 7 and 8


def verification_status(match: str, duplicates: int, calculated: Decimal | None, stated: Decimal | None) -> tuple[str, str]:
    if match != SUCCESS:
        difference = (calculated - stated) if calculated is not None and stated is not None else None
        return "FAIL", (
            f"balance mismatch: calculated closing balance {_money(calculated)} vs stated closing balance "
            f"{_money(stated)} (difference {_money(difference)})"
        )
    if duplicates:
        return "WARNING", f"balance matches (closing {_money(stated)}) but {duplicates} duplicate transaction(s) found"
    return "PASS", f"balance matches: calculated closing balance {_money(calculated)} equals the stated {_money(stated)}"


def statement_status(verification: str, tampering_level: str) -> str:
    if verification == "FAIL" or tampering_level == "FATAL":
        return "FLAGGED"
    if verification == "WARNING" or tampering_level in ("WARNING", "CRITICAL"):
        return "VERIFIED_WITH_WARNINGS"
    return "VERIFIED"


def _money(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    value = value.quantize(Decimal("0.01"))
    return f"{value:,}"


# --------------------------------------------------------------------------- the chain


def process(parsed: ParsedStatement, rules: ProviderRules | None = None) -> StatementResult:
    """Apply every processing and verification rule to a parsed statement."""
    rules = rules or rules_for(parsed.provider)
    fmt = parsed.format
    base_effect = rules.base_effect
    not_a_txn = rules.not_a_transaction

    raw = parsed.transactions
    duplicate = mark_duplicates(raw)
    kinds = []
    not_txn: set[int] = set()
    for t, dup in zip(raw, duplicate):
        label = "" if dup else not_a_txn(t)
        if label:
            not_txn.add(id(t))
        kinds.append(DUPLICATE if dup else (label or special_type(t.description)))
    kind_of = {id(t): k for t, k in zip(raw, kinds)}
    # Rows that move the running balance; failed rows and the specials of
    # rule 4 (commission, deallocation, rollback) and duplicates do not.
    moving = {id(t) for t, k in zip(raw, kinds) if moves_balance(k) and id(t) not in not_txn}
    charges_by_id: dict[int, tuple[str, Decimal]] = {}
    for t in raw:
        if id(t) in moving:
            charge = rules.implicit_charge(t)
            if charge is not None:
                charges_by_id[id(t)] = charge

    def effect_plain(t: RawTxn, prev: Decimal | None) -> Decimal:
        return base_effect(t, prev, fmt) if id(t) in moving else ZERO

    rows = [raw[i] for i in order_rows(raw)]
    applied: dict[str, bool] = {}
    if charges_by_id:
        applied = choose_implicit_charges(rows, [charges_by_id.get(id(t)) for t in rows], effect_plain)

    def charge_of(t: RawTxn) -> Decimal:
        charge = charges_by_id.get(id(t))
        return charge[1] if charge is not None and applied.get(charge[0]) else ZERO

    def effect(t: RawTxn, prev: Decimal | None) -> Decimal:
        if id(t) not in moving:
            return ZERO
        return base_effect(t, prev, fmt) + charge_of(t) if charges_by_id else base_effect(t, prev, fmt)

    rows = reorder_same_timestamp(rows, effect)

    effects: list[Decimal] = []
    prev = None
    for t in rows:
        effects.append(effect(t, prev))
        prev = t.balance
    stated = [t.balance for t in rows]
    skipped = [is_skipped(kind_of[id(t)]) or id(t) in not_txn for t in rows]
    opening, calcs, diffs = running_balance(effects, stated, skipped)
    changes = diff_changes(diffs)
    dates = [t.txn_date for t in rows]
    gaps = gap_days(dates)

    out: list[ProcessedTxn] = []
    append = out.append
    credits = debits = fees = ZERO
    specials = duplicates = quality = 0
    direction_of = rules.direction
    for seq, (t, eff, calc, diff, skip, gap) in enumerate(zip(rows, effects, calcs, diffs, skipped, gaps), start=1):
        key = id(t)
        kind = kind_of[key]
        is_dup = kind == DUPLICATE
        special = bool(kind) and not is_dup
        amount = t.amount
        direction = t.direction
        if not direction:
            direction = direction_of(t, eff)
            amount = abs(amount) if direction == "credit" else -abs(amount)
        moves = key in moving
        if moves and not skip:
            if amount >= 0:
                credits += amount
            else:
                debits -= amount
            fees += t.fee
        duplicates += is_dup
        specials += special
        quality += t.has_quality_issue
        # Positional: ProcessedTxn(raw, seq, amount, direction, effect, calculated_balance, balance_diff,
        # is_duplicate, is_special, special_type, skipped, implicit_charge, gap_days) — 100k rows a statement.
        append(ProcessedTxn(t, seq, amount, direction, eff, calc, diff, is_dup, special, kind if special else "",
                            skip or not moves, charge_of(t) if charges_by_id else ZERO, gap))

    counted = [i for i, s in enumerate(skipped) if not s]
    closing_calc = calcs[counted[-1]] if counted else None
    closing_stated = stated[counted[-1]] if counted else None
    change_count = sum(changes)
    gap_changes = gap_related_changes(gaps, changes)
    match = balance_match(closing_calc, closing_stated)
    n = len(rows)
    summary = Summary(
        txn_count=n,
        credits=credits,
        debits=debits,
        fees=fees,
        opening_balance_stated=parsed.summary.get("Opening Balance"),
        closing_balance_stated=closing_stated,
        opening_balance_calculated=opening,
        closing_balance_calculated=closing_calc,
        first_txn_date=dates[0] if dates else None,
        last_txn_date=dates[-1] if dates else None,
        duplicate_count=duplicates,
        quality_issues_count=quality,
        header_row_manipulation_count=parsed.header_row_manipulation_count,
        special_txn_count=specials,
        balance_match=match,
        balance_diff_changes=change_count,
        balance_diff_change_ratio=(Decimal(change_count) / Decimal(n)).quantize(Decimal("0.000001")) if n else ZERO,
        missing_days_detected=gap_changes > 0,
        gap_related_balance_changes=gap_changes,
        max_gap_days=max(gaps, default=0),
        implicit_ind02_commission=applied.get("ind02_commission", False),
        implicit_merchant_cashback=applied.get("merchant_cashback", False),
    )
    summary.verification_status, summary.verification_reason = verification_status(match, duplicates, closing_calc, closing_stated)
    summary.tampering_level, summary.tampering_reason = rules.tampering(parsed, summary)
    return StatementResult(parsed=parsed, transactions=out, summary=summary, status=statement_status(summary.verification_status, summary.tampering_level))
