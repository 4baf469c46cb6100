"""The general processing and verification rules (STATEMENT_FORMATS.md,
"Processing and verification"), each a small function over plain lists.

Provider-specific pieces (how a row moves the balance, failed rows, implicit
charges, tampering) come in through ``ProviderRules``; ``process`` runs the
whole chain and returns a ``StatementResult``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import permutations

from statements.engine.base import ProviderRules
from statements.engine.cells import MAX_MONEY
from statements.engine.errors import OutOfRange
from statements.engine.evidence import Reason
from statements.engine.forensics.codes import FILE_SIGNALS, band
from statements.engine.forensics.score import assess, file_score, risk_score
from statements.engine.parsers import default_registry
from statements.engine.types import CREDIT, ZERO, ParsedStatement, ProcessedTxn, RawTxn, StatementResult, Summary
from statements.engine.vocabulary import (
    BalanceMatch,
    ImplicitCharge,
    SpecialType,
    StatementStatus,
    TamperingLevel,
    VerificationStatus,
)

TOLERANCE = Decimal("0.01")
MAX_REORDER = 6
ONE_DAY = timedelta(days=1)
# The kinds the loops below compare, as module constants: they run once a
# row (100k rows a statement), and looking a member up on its enum class
# costs ten times as much as reading a global.
COMMISSION, DEALLOCATION, ROLLBACK, REVERSAL, DUPLICATE = (
    SpecialType.COMMISSION, SpecialType.DEALLOCATION, SpecialType.ROLLBACK, SpecialType.REVERSAL, SpecialType.DUPLICATE,
)
NOT_MOVING = (COMMISSION, DEALLOCATION, ROLLBACK, DUPLICATE)
SKIPPED = (DEALLOCATION, ROLLBACK, DUPLICATE)

# effect(txn, previous stated balance) -> how the row moves the running balance
Effect = Callable[[RawTxn, "Decimal | None"], Decimal]


# --------------------------------------------------------------------------- rule 2: duplicates


def mark_duplicates(txns: Sequence[RawTxn]) -> list[bool]:
    """True for each repeat of (txn_id, txn_date, amount, description); the first is kept."""
    seen: set[tuple[str, datetime, Decimal, str]] = set()
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


# The three functions below are rule 4 as it stands for every provider (the
# default table's); a provider's own table (``rulebook``) is applied through
# its ``ProviderRules`` (``classify_rows``).


def special_type(description: str) -> SpecialType | str:
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
    return kind not in NOT_MOVING


def is_skipped(kind: str) -> bool:
    """Skipped rows carry the previous row's balance difference."""
    return kind in SKIPPED


# --------------------------------------------------------------------------- rule 5: implicit charges


def choose_implicit_charges(rows: Sequence[RawTxn], charges: Sequence[tuple[str, Decimal] | None], effect: Effect) -> dict[str, bool]:
    """Per kind of implicit charge: apply it when more of its rows then match
    their stated balance than without it (compared row by row from the
    previous row's stated balance)."""
    with_charge: dict[str, int] = {}
    without: dict[str, int] = {}
    prev = None
    for t, charge in zip(rows, charges, strict=True):
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
    for effect, balance, skip in zip(effects, stated, skipped, strict=True):
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
    return sum(1 for gap, changed in zip(gaps, changes, strict=True) if gap and changed)


def balance_match(calculated_closing: Decimal | None, stated_closing: Decimal | None) -> BalanceMatch:
    if calculated_closing is None or stated_closing is None:
        return BalanceMatch.FAILED
    return BalanceMatch.SUCCESS if abs(calculated_closing - stated_closing) <= TOLERANCE else BalanceMatch.FAILED


# --------------------------------------------------------------------------- rules 7 and 8


def verification_status(
    match: str, duplicates: int, calculated: Decimal | None, stated: Decimal | None
) -> tuple[VerificationStatus, str]:
    if match != BalanceMatch.SUCCESS:
        difference = (calculated - stated) if calculated is not None and stated is not None else None
        return VerificationStatus.FAIL, (
            f"balance mismatch: calculated closing balance {_money(calculated)} vs stated closing balance "
            f"{_money(stated)} (difference {_money(difference)})"
        )
    if duplicates:
        return VerificationStatus.WARNING, f"balance matches (closing {_money(stated)}) but {duplicates} duplicate transaction(s) found"
    return VerificationStatus.PASS, f"balance matches: calculated closing balance {_money(calculated)} equals the stated {_money(stated)}"


def statement_status(verification: str, tampering_level: str) -> StatementStatus:
    if verification == VerificationStatus.FAIL or tampering_level == TamperingLevel.FATAL:
        return StatementStatus.FLAGGED
    if verification == VerificationStatus.WARNING or tampering_level in (TamperingLevel.WARNING, TamperingLevel.CRITICAL):
        return StatementStatus.VERIFIED_WITH_WARNINGS
    return StatementStatus.VERIFIED


def _money(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    value = value.quantize(Decimal("0.01"))
    return f"{value:,}"


# --------------------------------------------------------------------------- the chain


@dataclass(slots=True)
class RowKinds:
    """What each row is, keyed by ``id(row)``: its kind (a ``SpecialType``,
    or "" for an ordinary transaction), the rows the provider says are not
    transactions, and the rows that move the running balance."""

    kind_of: dict[int, str]
    not_txn: set[int]
    moving: set[int]
    skipped: set[int]


def classify_rows(raw: Sequence[RawTxn], rules: ProviderRules) -> RowKinds:
    """Rules 2 and 4: duplicates, rows that are not transactions, and specials
    (from the provider's table, through its ``ProviderRules``)."""
    not_a_txn, special_of, moves, skips = rules.not_a_transaction, rules.special_type, rules.moves_balance, rules.is_skipped
    kinds: list[str] = []
    not_txn: set[int] = set()
    for t, dup in zip(raw, mark_duplicates(raw), strict=True):
        label = "" if dup else not_a_txn(t)
        if label:
            not_txn.add(id(t))
        kinds.append(DUPLICATE if dup else (label or special_of(t.description)))
    # Rows that move the running balance; failed rows, the specials whose
    # rule says so (commission, deallocation, rollback) and duplicates do not.
    moving = {id(t) for t, k in zip(raw, kinds, strict=True) if moves(k) and id(t) not in not_txn}
    skipped = {id(t) for t, k in zip(raw, kinds, strict=True) if k and skips(k)}
    return RowKinds(kind_of={id(t): k for t, k in zip(raw, kinds, strict=True)}, not_txn=not_txn, moving=moving, skipped=skipped)


def implicit_charge_candidates(raw: Sequence[RawTxn], moving: set[int], rules: ProviderRules) -> dict[int, tuple[str, Decimal]]:
    """Rule 5: the charge the provider may have applied silently to each moving row, by ``id(row)``."""
    charges: dict[int, tuple[str, Decimal]] = {}
    for t in raw:
        if id(t) in moving:
            charge = rules.implicit_charge(t)
            if charge is not None:
                charges[id(t)] = charge
    return charges


def charge_lookup(charges: dict[int, tuple[str, Decimal]], applied: dict[str, bool]) -> Callable[[RawTxn], Decimal]:
    """The implicit charge counted on a row: its candidate's amount when that kind of charge is applied."""

    def charge_of(t: RawTxn) -> Decimal:
        charge = charges.get(id(t))
        return charge[1] if charge is not None and applied.get(charge[0]) else ZERO

    return charge_of


def effect_function(
    rules: ProviderRules, fmt: str, moving: set[int], charge_of: Callable[[RawTxn], Decimal] | None = None
) -> Effect:
    """How a row moves the running balance: the provider's base effect plus
    any applied implicit charge, and nothing for a row that does not move it."""
    base_effect = rules.base_effect
    if charge_of is None:

        def plain(t: RawTxn, prev: Decimal | None) -> Decimal:
            return base_effect(t, prev, fmt) if id(t) in moving else ZERO

        return plain

    def charged(t: RawTxn, prev: Decimal | None) -> Decimal:
        if id(t) not in moving:
            return ZERO
        return base_effect(t, prev, fmt) + charge_of(t)

    return charged


@dataclass(slots=True)
class Ledger:
    """The ordered rows and, row by row, the running-balance figures (rule 6)."""

    rows: list[RawTxn]
    effects: list[Decimal]
    stated: list[Decimal]
    skipped: list[bool]
    opening: Decimal | None
    calculated: list[Decimal]
    diffs: list[Decimal]
    changes: list[bool]
    dates: list[datetime]
    gaps: list[int]


def balance_ledger(rows: list[RawTxn], effect: Effect, kinds: RowKinds) -> Ledger:
    effects: list[Decimal] = []
    prev = None
    for t in rows:
        effects.append(effect(t, prev))
        prev = t.balance
    stated = [t.balance for t in rows]
    skipped_ids, not_txn = kinds.skipped, kinds.not_txn
    skipped = [id(t) in skipped_ids or id(t) in not_txn for t in rows]
    opening, calcs, diffs = running_balance(effects, stated, skipped)
    dates = [t.txn_date for t in rows]
    return Ledger(rows, effects, stated, skipped, opening, calcs, diffs, diff_changes(diffs), dates, gap_days(dates))


@dataclass(slots=True)
class Totals:
    credits: Decimal
    debits: Decimal
    fees: Decimal
    taxes: Decimal
    specials: int
    duplicates: int
    quality: int


def processed_rows(
    ledger: Ledger, kinds: RowKinds, direction_of: Callable[[RawTxn, Decimal], str], charge_of: Callable[[RawTxn], Decimal] | None
) -> tuple[list[ProcessedTxn], Totals]:
    """Each row with its verification figures, and the statement's totals
    (credits, debits, fees and taxes of the rows that move the balance)."""
    out: list[ProcessedTxn] = []
    append = out.append
    kind_of, moving = kinds.kind_of, kinds.moving
    credits = debits = fees = taxes = ZERO
    specials = duplicates = quality = 0
    rows = zip(ledger.rows, ledger.effects, ledger.calculated, ledger.diffs, ledger.skipped, ledger.gaps, strict=True)
    for seq, (t, eff, calc, diff, skip, gap) in enumerate(rows, start=1):
        key = id(t)
        kind = kind_of[key]
        is_dup = kind == DUPLICATE
        special = bool(kind) and not is_dup
        amount = t.amount
        direction = t.direction
        if not direction:
            direction = direction_of(t, eff)
            amount = abs(amount) if direction == CREDIT else -abs(amount)
        moves = key in moving
        if moves and not skip:
            if amount >= 0:
                credits += amount
            else:
                debits -= amount
            fees += t.fee
            taxes += t.tax
        duplicates += is_dup
        specials += special
        quality += t.has_quality_issue
        # Positional: ProcessedTxn(raw, seq, amount, direction, effect, calculated_balance, balance_diff,
        # is_duplicate, is_special, special_type, skipped, implicit_charge, gap_days) — 100k rows a statement.
        append(ProcessedTxn(t, seq, amount, direction, eff, calc, diff, is_dup, special, kind if special else "",
                            skip or not moves, charge_of(t) if charge_of is not None else ZERO, gap))
    return out, Totals(credits, debits, fees, taxes, specials, duplicates, quality)


def summarise(parsed: ParsedStatement, ledger: Ledger, totals: Totals, applied: dict[str, bool]) -> Summary:
    """The statement's figures and its verification verdict (rules 6 and 7)."""
    counted = [i for i, s in enumerate(ledger.skipped) if not s]
    closing_calc = ledger.calculated[counted[-1]] if counted else None
    closing_stated = ledger.stated[counted[-1]] if counted else None
    change_count = sum(ledger.changes)
    gap_changes = gap_related_changes(ledger.gaps, ledger.changes)
    match = balance_match(closing_calc, closing_stated)
    n, dates = len(ledger.rows), ledger.dates
    summary = Summary(
        txn_count=n,
        credits=totals.credits,
        debits=totals.debits,
        fees=totals.fees,
        taxes=totals.taxes,
        opening_balance_stated=parsed.summary.get("Opening Balance"),
        closing_balance_stated=closing_stated,
        opening_balance_calculated=ledger.opening,
        closing_balance_calculated=closing_calc,
        first_txn_date=dates[0] if dates else None,
        last_txn_date=dates[-1] if dates else None,
        duplicate_count=totals.duplicates,
        quality_issues_count=totals.quality,
        header_row_manipulation_count=parsed.header_row_manipulation_count,
        special_txn_count=totals.specials,
        balance_match=match,
        balance_diff_changes=change_count,
        balance_diff_change_ratio=(Decimal(change_count) / Decimal(n)).quantize(Decimal("0.000001")) if n else ZERO,
        missing_days_detected=gap_changes > 0,
        gap_related_balance_changes=gap_changes,
        max_gap_days=max(ledger.gaps, default=0),
        implicit_ind02_commission=applied.get(ImplicitCharge.IND02_COMMISSION, False),
        implicit_merchant_cashback=applied.get(ImplicitCharge.MERCHANT_CASHBACK, False),
    )
    summary.verification_status, summary.verification_reason = verification_status(
        match, totals.duplicates, closing_calc, closing_stated
    )
    _within_money_columns(totals, ledger)
    return summary


def _within_money_columns(totals: Totals, ledger: Ledger) -> None:
    """Every cell is within ``MAX_MONEY`` (``cells``), but 100,000 of them can
    add up past it: refuse such a statement with its figure named rather than
    fail at the database's insert."""
    figures = [("credits", totals.credits), ("debits", totals.debits), ("fees", totals.fees), ("taxes", totals.taxes)]
    figures.append(("largest recomputed balance", max(ledger.calculated, key=abs, default=ZERO)))
    figures.append(("largest balance difference", max(ledger.diffs, key=abs, default=ZERO)))
    for figure, value in figures:
        if value is not None and abs(value) > MAX_MONEY:
            raise OutOfRange(figure=figure, value=value, limit=MAX_MONEY)


def process(parsed: ParsedStatement, rules: ProviderRules | None = None) -> StatementResult:
    """Apply every processing and verification rule to a parsed statement
    (with the provider's rules from the engine's registry unless ``rules`` is given)."""
    rules = rules or default_registry().rules_for(parsed.provider)
    raw = parsed.transactions
    kinds = classify_rows(raw, rules)
    charges = implicit_charge_candidates(raw, kinds.moving, rules)
    rows = [raw[i] for i in order_rows(raw)]
    applied: dict[str, bool] = {}
    charge_of = None
    if charges:
        plain = effect_function(rules, parsed.format, kinds.moving)
        applied = choose_implicit_charges(rows, [charges.get(id(t)) for t in rows], plain)
        charge_of = charge_lookup(charges, applied)
    effect = effect_function(rules, parsed.format, kinds.moving, charge_of)
    ledger = balance_ledger(reorder_same_timestamp(rows, effect), effect, kinds)
    transactions, totals = processed_rows(ledger, kinds, rules.direction, charge_of)
    summary = summarise(parsed, ledger, totals, applied)
    summary.tampering_level, summary.tampering_reason = rules.tampering(parsed, summary)
    reasons = assess(parsed, summary, transactions, rules)
    status = apply_risk(summary, reasons)
    return StatementResult(parsed=parsed, transactions=transactions, summary=summary, status=status)


STATUS_ORDER = (StatementStatus.VERIFIED, StatementStatus.VERIFIED_WITH_WARNINGS, StatementStatus.FLAGGED)
LEVEL_ORDER = tuple(TamperingLevel)


def apply_risk(summary: Summary, reasons: list[Reason]) -> StatementStatus:
    """Store the score and reasons on ``summary``; raise its tampering level
    to the band of the file reasons' score, and return the statement's
    status: the worse of the hard rules' (``statement_status``) and the
    score's band (README, "Statement risk score")."""
    summary.risk_reasons = reasons
    summary.risk_score = risk_score(reasons)
    file_level, _ = band(file_score(reasons))
    if LEVEL_ORDER.index(file_level) > LEVEL_ORDER.index(TamperingLevel(summary.tampering_level or TamperingLevel.NO_ISSUES)):
        summary.tampering_level = file_level
        found = "; ".join(r.message for r in reasons if r.code in FILE_SIGNALS)
        summary.tampering_reason = f"forensic signals: {found}"
    _, score_status = band(summary.risk_score)
    rule_status = statement_status(summary.verification_status, summary.tampering_level)
    return max(rule_status, score_status, key=STATUS_ORDER.index)
