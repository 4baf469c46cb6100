"""From a selector's tidy DataFrame to the tables a report shows: pivots,
totals and rates, in pandas, over rows SQL has already aggregated (a few
thousand at most, whatever the size of the book).

A :class:`Table` is a DataFrame and the kind of each column (``money``,
``rate``, ``int``, ``text``, ``date``), which the JSON and the Excel writer
need: money is a ``Decimal`` (a string in JSON, a number with the UGX format
in Excel), a rate a fraction (0.25 is 25 %) rounded to four places.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from reports import selectors
from reports.choices import BUCKET_RANK, OPEN_BUCKETS, Bucket

ZERO = Decimal("0.00")
BUCKET_LABELS = dict(Bucket.choices)
TO_BUCKETS = (*OPEN_BUCKETS, Bucket.CLOSED, Bucket.WRITTEN_OFF)


@dataclass
class Table:
    frame: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    title: str = ""

    def kind(self, column: str) -> str:
        return self.kinds.get(column, "text")


def dsum(values) -> Decimal:
    """Exact sum of Decimals (None and NaN skipped)."""
    return sum((v for v in values if v is not None and not (isinstance(v, float) and pd.isna(v))), ZERO)


def rate(part, whole) -> float | None:
    """part ÷ whole, four places; None when whole is zero. Decimals are
    divided as Decimals: the rate is a ratio, the money never a float."""
    if not whole:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


def _kinds(frame: pd.DataFrame, money=(), rates=(), ints=(), dates=(), numbers=()) -> dict[str, str]:
    out = {}
    for column in frame.columns:
        name = str(column)
        out[name] = ("money" if column in money else "rate" if column in rates else "int" if column in ints
                     else "date" if column in dates else "number" if column in numbers else "text")
    return out


def _agents(frame: pd.DataFrame, column: str = "agent_id") -> pd.Series:
    names = selectors.agent_names(frame[column].tolist())
    return frame[column].map(lambda i: names.get(int(i), f"user {int(i)}") if i is not None and not pd.isna(i) else "(unassigned)")


def _group(frame: pd.DataFrame, by: list[str], money: list[str], counts: list[str]) -> pd.DataFrame:
    """Group and sum: money with exact Decimal sums, counts as ints."""
    if frame.empty:
        return pd.DataFrame(columns=[*by, *counts, *money]).astype(object)
    agg = {**{c: dsum for c in money}, **{c: (lambda s: int(sum(s))) for c in counts}}
    return frame.groupby(by, dropna=False, sort=True).agg(agg).reset_index()[[*by, *counts, *money]].astype(object)


# --- Aging --------------------------------------------------------------------


def aging_tables(df: pd.DataFrame) -> dict[str, Table]:
    by_bucket = _group(df, ["bucket"], ["outstanding"], ["debt_count"]).set_index("bucket") if not df.empty else None
    total_count = int(sum(df["debt_count"])) if not df.empty else 0
    total_out = dsum(df["outstanding"]) if not df.empty else ZERO
    rows = []
    if by_bucket is not None:
        for bucket in OPEN_BUCKETS:
            count = int(by_bucket.loc[bucket, "debt_count"]) if bucket in by_bucket.index else 0
            out = by_bucket.loc[bucket, "outstanding"] if bucket in by_bucket.index else ZERO
            rows.append({"bucket": BUCKET_LABELS[bucket], "debt_count": count, "outstanding": out,
                         "share_of_count": rate(count, total_count), "share_of_outstanding": rate(out, total_out)})
        rows.append({"bucket": "Total", "debt_count": total_count, "outstanding": total_out,
                     "share_of_count": rate(total_count, total_count), "share_of_outstanding": rate(total_out, total_out)})
    summary = pd.DataFrame(rows, columns=["bucket", "debt_count", "outstanding", "share_of_count", "share_of_outstanding"]).astype(object)
    tables = {"summary": Table(summary, _kinds(summary, money=["outstanding"], ints=["debt_count"],
                                                rates=["share_of_count", "share_of_outstanding"]), "By bucket")}
    for name, keys, title in (("by_branch", ["branch"], "By branch"), ("by_employee", ["branch", "employee_id", "employee_name"], "By employee")):
        tables[name] = _bucket_pivot(df, keys, title)
    return tables


def _bucket_pivot(df: pd.DataFrame, keys: list[str], title: str) -> Table:
    """One row per key; a count and an outstanding column per bucket, and totals."""
    columns = [*keys, *(f"count_{b}" for b in OPEN_BUCKETS), "count_total", *(f"outstanding_{b}" for b in OPEN_BUCKETS), "outstanding_total"]
    if df.empty:
        frame = pd.DataFrame(columns=columns).astype(object)
    else:
        key_frame = df.copy()
        if "employee_name" in keys:
            # One name per employee id (the latest loan book's spelling).
            key_frame["employee_name"] = key_frame.groupby(["branch", "employee_id"])["employee_name"].transform("max")
        grouped = _group(key_frame, [*keys, "bucket"], ["outstanding"], ["debt_count"])
        counts = grouped.pivot(index=keys, columns="bucket", values="debt_count")
        money = grouped.pivot(index=keys, columns="bucket", values="outstanding")
        frame = pd.DataFrame(index=counts.index)
        for b in OPEN_BUCKETS:
            frame[f"count_{b}"] = pd.to_numeric(counts[b]).fillna(0).astype(int) if b in counts else 0
        frame["count_total"] = frame[[f"count_{b}" for b in OPEN_BUCKETS]].sum(axis=1).astype(int)
        for b in OPEN_BUCKETS:
            frame[f"outstanding_{b}"] = money[b].astype(object).where(money[b].notna(), ZERO) if b in money else ZERO
        frame["outstanding_total"] = [dsum(row) for row in frame[[f"outstanding_{b}" for b in OPEN_BUCKETS]].itertuples(index=False)]
        frame = frame.reset_index()[columns].astype(object)
    money_cols = [c for c in columns if c.startswith("outstanding_")]
    count_cols = [c for c in columns if c.startswith("count_")]
    return Table(frame, _kinds(frame, money=money_cols, ints=count_cols), title)


# --- Roll rates ----------------------------------------------------------------


def roll_rate_tables(df: pd.DataFrame) -> dict[str, Table]:
    """The transition matrix (counts and row shares, all months together),
    and cure and roll-forward rates by month and by starting bucket.

    Cured: a delinquent debt (1+ days) back to current. Rolled forward: a
    debt in a worse bucket than it was (written off is the worst)."""
    to_cols = [str(b) for b in TO_BUCKETS]
    if df.empty:
        counts = pd.DataFrame(columns=["from_bucket", *to_cols, "total"]).astype(object)
        shares = counts.copy()
    else:
        grouped = _group(df, ["from_bucket", "to_bucket"], [], ["debt_count"])
        matrix = grouped.pivot(index="from_bucket", columns="to_bucket", values="debt_count").reindex(index=list(OPEN_BUCKETS), columns=to_cols)
        matrix = matrix.apply(pd.to_numeric).fillna(0).astype(int)
        matrix["total"] = matrix.sum(axis=1)
        shares = matrix[to_cols].astype(object).copy()
        for b in to_cols:
            shares[b] = [rate(n, t) for n, t in zip(matrix[b], matrix["total"], strict=True)]
        shares["total"] = [rate(t, t) for t in matrix["total"]]
        counts = matrix.reset_index().rename(columns={"index": "from_bucket"}).astype(object)
        shares = shares.reset_index().rename(columns={"index": "from_bucket"}).astype(object)
        counts["from_bucket"] = counts["from_bucket"].map(BUCKET_LABELS)
        shares["from_bucket"] = shares["from_bucket"].map(BUCKET_LABELS)
    by_month = _roll_summary(df, "month")
    by_bucket = _roll_summary(df, "from_bucket")
    if not by_bucket.empty:
        by_bucket["from_bucket"] = by_bucket["from_bucket"].map(BUCKET_LABELS)
    return {
        "matrix_counts": Table(counts, _kinds(counts, ints=[*to_cols, "total"]), "Transitions (debts), from (rows) to (columns)"),
        "matrix_shares": Table(shares, _kinds(shares, rates=[*to_cols, "total"]), "Transitions as shares of the row"),
        "rates_by_month": Table(by_month, _roll_kinds(by_month, "month"), "Cure and roll-forward rates by month"),
        "rates_by_bucket": Table(by_bucket, _roll_kinds(by_bucket), "Cure and roll-forward rates by starting bucket"),
    }


ROLL_SUMMARY = ["debts", "delinquent", "cured", "cure_rate", "rolled_forward", "roll_forward_rate", "balance_rolled_forward"]


def _roll_kinds(frame: pd.DataFrame, date_col: str | None = None) -> dict[str, str]:
    return _kinds(frame, ints=["debts", "delinquent", "cured", "rolled_forward"], rates=["cure_rate", "roll_forward_rate"],
                  money=["balance_rolled_forward"], dates=[date_col] if date_col else [])


def _roll_summary(df: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = []
    if not df.empty:
        work = df.copy()
        work["delinquent"] = work["from_bucket"] != Bucket.CURRENT
        work["cured"] = work["delinquent"] & (work["to_bucket"] == Bucket.CURRENT)
        work["forward"] = [BUCKET_RANK.get(t, -1) > BUCKET_RANK[f] for f, t in zip(work["from_bucket"], work["to_bucket"], strict=True)]
        order = list(OPEN_BUCKETS) if key == "from_bucket" else sorted(work[key].unique())
        for value in order:
            part = work[work[key] == value]
            if part.empty:
                continue
            debts = int(part["debt_count"].sum())
            delinquent = int(part.loc[part["delinquent"], "debt_count"].sum())
            cured = int(part.loc[part["cured"], "debt_count"].sum())
            forward = int(part.loc[part["forward"], "debt_count"].sum())
            rows.append({key: value, "debts": debts, "delinquent": delinquent, "cured": cured, "cure_rate": rate(cured, delinquent),
                         "rolled_forward": forward, "roll_forward_rate": rate(forward, debts),
                         "balance_rolled_forward": dsum(part.loc[part["forward"], "balance"])})
    return pd.DataFrame(rows, columns=[key, *ROLL_SUMMARY]).astype(object)


# --- Vintage ---------------------------------------------------------------------


def vintage_tables(df: pd.DataFrame) -> dict[str, Table]:
    """Rows: disbursement month; columns: month on book 1…N; cells: the
    share of the vintage's principal 30+ (and 90+) days past due."""
    tables = {}
    mobs = sorted(int(m) for m in df["months_on_book"].unique()) if not df.empty else []
    mob_cols = [f"mob_{m}" for m in mobs]
    for name, numerator, title in (("share_30_plus", "principal_30_plus", "Share of principal 30+ days past due"),
                                   ("share_90_plus", "principal_90_plus", "Share of principal 90+ days past due")):
        if df.empty:
            frame = pd.DataFrame(columns=["disbursement_month"]).astype(object)
        else:
            work = df.copy()
            work["share"] = [rate(n, d) for n, d in zip(work[numerator], work["principal"], strict=True)]
            pivot = work.pivot(index="disbursement_month", columns="months_on_book", values="share").reindex(columns=mobs)
            pivot.columns = mob_cols
            frame = pivot.astype(object).where(pivot.notna(), None).reset_index().astype(object)
        tables[name] = Table(frame, _kinds(frame, rates=mob_cols, dates=["disbursement_month"]), title)
    if df.empty:
        principal = pd.DataFrame(columns=["disbursement_month", "debt_count", "principal"]).astype(object)
    else:
        # A vintage's size: its debts and principal at its first month on book in the range.
        first = df.sort_values("months_on_book").groupby("disbursement_month", sort=True).head(1)
        principal = first[["disbursement_month", "debt_count", "principal"]].sort_values("disbursement_month").reset_index(drop=True).astype(object)
    tables["principal"] = Table(principal, _kinds(principal, money=["principal"], ints=["debt_count"], dates=["disbursement_month"]),
                                "Principal per vintage")
    return tables


# --- Collection efficiency ---------------------------------------------------------


def efficiency_tables(df: pd.DataFrame) -> dict[str, Table]:
    work = df.copy()
    if not work.empty:
        work["agent"] = _agents(work)
    else:
        work["agent"] = pd.Series(dtype=object)
    out = {}
    for name, keys, title in (("by_period", ["period_start", "period_end"], "By period"),
                              ("by_branch", ["period_start", "branch"], "By period and branch"),
                              ("by_agent", ["period_start", "agent"], "By period and agent")):
        frame = _group(work, keys, ["amount_due", "amount_collected"], [])
        frame["efficiency"] = [rate(c, d) for c, d in zip(frame["amount_collected"], frame["amount_due"], strict=True)]
        frame = frame.astype(object)
        out[name] = Table(frame, _kinds(frame, money=["amount_due", "amount_collected"], rates=["efficiency"],
                                        dates=["period_start", "period_end"]), title)
    return out


# --- Promises ------------------------------------------------------------------------


PROMISE_STATUSES = ("PENDING", "KEPT", "BROKEN", "CANCELLED")


def _promise_row(part: pd.DataFrame) -> dict:
    counts = {s: int(part.loc[part["status"] == s, "promises"].sum()) for s in PROMISE_STATUSES}
    return {"made": int(part["promises"].sum()), "kept": counts["KEPT"], "broken": counts["BROKEN"], "pending": counts["PENDING"],
            "cancelled": counts["CANCELLED"], "kept_rate": rate(counts["KEPT"], counts["KEPT"] + counts["BROKEN"]),
            "amount_promised": dsum(part["amount_promised"]), "amount_paid": dsum(part["amount_paid"]),
            "paid_rate": rate(dsum(part["amount_paid"]), dsum(part["amount_promised"]))}


PROMISE_SUMMARY = ["made", "kept", "broken", "pending", "cancelled", "kept_rate", "amount_promised", "amount_paid", "paid_rate"]


def promise_tables(df: pd.DataFrame) -> dict[str, Table]:
    """Made, kept, broken, pending (and cancelled); kept rate = kept ÷ (kept
    + broken), the promises already judged; amount paid against amount promised."""
    summary = pd.DataFrame([_promise_row(df)] if not df.empty else [], columns=PROMISE_SUMMARY).astype(object)
    rows = []
    if not df.empty:
        work = df.copy()
        work["agent"] = _agents(work)
        for agent, part in work.groupby("agent", sort=True):
            rows.append({"agent": agent, **_promise_row(part)})
    by_agent = pd.DataFrame(rows, columns=["agent", *PROMISE_SUMMARY]).astype(object)
    kinds = {"money": ["amount_promised", "amount_paid"], "rates": ["kept_rate", "paid_rate"], "ints": ["made", "kept", "broken", "pending", "cancelled"]}
    return {"summary": Table(summary, _kinds(summary, **kinds), "All agents"), "by_agent": Table(by_agent, _kinds(by_agent, **kinds), "By agent")}


# --- Agents ----------------------------------------------------------------------------


def agent_tables(df: pd.DataFrame) -> dict[str, Table]:
    work = df.copy()
    work.insert(1, "agent", _agents(work) if not work.empty else pd.Series(dtype=object))
    work["right_party_rate"] = [rate(r, c) for r, c in zip(work["right_party_contacts"], work["contacts"], strict=True)]
    work = work.drop(columns=["agent_id"]).sort_values("agent").reset_index(drop=True).astype(object)
    kinds = _kinds(work, money=["outstanding_assigned", "amount_collected"], rates=["right_party_rate"],
                   ints=["accounts_assigned", "contacts", "right_party_contacts", "promises", "calls_placed", "calls_completed"])
    return {"agents": Table(work, kinds, "Per agent")}


# --- Statements ----------------------------------------------------------------------------


def statement_tables(df: pd.DataFrame, reasons: pd.DataFrame) -> dict[str, Table]:
    work = df.sort_values(["provider", "month"]).reset_index(drop=True) if not df.empty else df.copy()
    work["flagged_rate"] = [rate(f, n) for f, n in zip(work["flagged"], work["statements"], strict=True)]
    work["average_risk_score"] = [float(round(Decimal(t) / s, 1)) if s else None for t, s in zip(work["risk_score_total"], work["scored"], strict=True)]
    work = work.drop(columns=["risk_score_total"]).astype(object)
    by_month = Table(work, _kinds(work, ints=["statements", "flagged", "scored"], rates=["flagged_rate"], dates=["month"],
                                    numbers=["average_risk_score"]), "Per provider and month")
    totals = _group(df, ["provider"], [], ["statements", "flagged", "scored", "risk_score_total"]) if not df.empty else \
        pd.DataFrame(columns=["provider", "statements", "flagged", "scored", "risk_score_total"]).astype(object)
    totals["flagged_rate"] = [rate(f, n) for f, n in zip(totals["flagged"], totals["statements"], strict=True)]
    totals["average_risk_score"] = [float(round(Decimal(t) / s, 1)) if s else None for t, s in zip(totals["risk_score_total"], totals["scored"], strict=True)]
    totals = totals.drop(columns=["risk_score_total"]).astype(object)
    reason_frame = reasons.astype(object)
    return {
        "by_provider": Table(totals, _kinds(totals, ints=["statements", "flagged", "scored"], rates=["flagged_rate"],
                                                   numbers=["average_risk_score"]), "Per provider"),
        "by_month": by_month,
        "reasons": Table(reason_frame, _kinds(reason_frame, ints=["statements"]), "Risk reasons (statements naming each)"),
    }
