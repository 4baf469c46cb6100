"""The nightly delinquency run: days past due for every debt, defaults past
the threshold (each with an audit-history row), and promise outcomes.

Set-based throughout: a million debts are a few dozen UPDATEs, not a million
saves.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Func, IntegerField, Max, Min, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from debts.choices import DebtStatus
from debts.models import Debt
from debts.rules import OPEN_STATUSES
from debts.services._common import ZERO
from debts.services.promises import promises_evaluate


class DaysSince(Func):
    """Whole days from a date column to a fixed ``today`` (positive when the column is earlier)."""

    output_field = IntegerField()

    def __init__(self, expression, today: date):
        super().__init__(Value(today), expression)

    def as_mysql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="DATEDIFF(%(expressions)s)", arg_joiner=", ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)", arg_joiner=") - julianday(", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner="::date - ", **extra)


@dataclass
class DelinquencyResult:
    today: date
    threshold_days: int
    debts_scanned: int = 0
    days_past_due_changed: int = 0
    moved_to_defaulted: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    seconds: float = 0.0


def _past_due_expression(today: date):
    """``days_past_due`` as SQL: days since ``due_date`` for an open debt that
    still owes money and has not paid the instalment due, else 0.

    An instalment counts as paid when the last payment came on or after the
    due date and covered the amount due (``due_amount``, else
    ``minimum_payment``, else any payment).
    """
    paid_since_due = Q(last_payment_date__isnull=False, last_payment_date__gte=F("due_date")) & (
        Q(last_payment_amount__gte=Coalesce(F("due_amount"), F("minimum_payment"), Value(ZERO)))
    )
    return Case(
        When(Q(status__in=OPEN_STATUSES, current_balance__gt=0, due_date__lt=today) & ~paid_since_due, then=DaysSince(F("due_date"), today)),
        default=Value(0),
        output_field=IntegerField(),
    )


def debts_update_delinquency(
    *,
    today: date | None = None,
    default_after_days: int | None = None,
    batch_size: int = 50_000,
    progress=None,
) -> DelinquencyResult:
    """Recompute ``days_past_due`` for every debt, default the ones past the
    threshold, and judge due promises kept or broken.

    Set-based: one UPDATE per batch of ``batch_size`` ids (a primary-key
    range), each in its own short transaction so payments are never blocked
    for long; a debt whose value is already right is not written. Idempotent.
    ``progress`` is called with the number of ids covered after each batch.
    """
    started = time.monotonic()
    today = today or timezone.localdate()
    threshold = default_after_days if default_after_days is not None else settings.DELINQUENCY_DEFAULT_AFTER_DAYS
    result = DelinquencyResult(today=today, threshold_days=threshold)
    bounds = Debt.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is not None:
        dpd = _past_due_expression(today)
        now = timezone.now()
        lo = bounds["lo"]
        while lo <= bounds["hi"]:
            hi = lo + batch_size - 1
            _update_batch(result, lo=lo, hi=hi, dpd=dpd, now=now)
            if progress:
                progress(min(hi, bounds["hi"]) - lo + 1)
            lo = hi + 1
        result.debts_scanned = Debt.objects.count()
    result.promises_kept, result.promises_broken = promises_evaluate(today=today)
    result.seconds = time.monotonic() - started
    return result


@transaction.atomic
def _update_batch(result: DelinquencyResult, *, lo: int, hi: int, dpd, now) -> None:
    """One primary-key range, in one short transaction: days past due, then defaults."""
    threshold = result.threshold_days
    in_batch = Debt.objects.filter(id__gte=lo, id__lte=hi)
    result.days_past_due_changed += in_batch.exclude(days_past_due=dpd).update(days_past_due=dpd, updated_at=now)
    to_default = in_batch.filter(status__in=(DebtStatus.ACTIVE, DebtStatus.IN_COLLECTION), days_past_due__gt=threshold)
    result.moved_to_defaulted += _record_history_then_update(
        to_default, status=DebtStatus.DEFAULTED, reason=f"update_delinquency: over {threshold} days past due", now=now
    )


def _record_history_then_update(queryset, *, status: str, reason: str, now) -> int:
    """UPDATE ``status`` on ``queryset`` and write one audit-history row per
    debt that moved, both set-based (INSERT … SELECT, then UPDATE).

    The history rows are built from the rows as they will be after the
    update, like simple-history's own post-save rows.
    """
    history_model = Debt.history.model
    table = connection.ops.quote_name(history_model._meta.db_table)
    tracked = [f for f in history_model._meta.concrete_fields if not f.name.startswith("history_")]
    columns, selects, params = [], [], []
    for field in tracked:
        column = connection.ops.quote_name(field.column)
        columns.append(column)
        if field.name == "status":
            selects.append("%s")
            params.append(status)
        elif field.name == "updated_at":
            selects.append("%s")
            params.append(connection.ops.adapt_datetimefield_value(now))
        else:
            selects.append(column)
    columns += ["history_date", "history_change_reason", "history_type", "history_user_id"]
    selects += ["%s", "%s", "'~'", "NULL"]
    params += [connection.ops.adapt_datetimefield_value(now), reason[:100]]
    where_sql, where_params = queryset.values("id").query.sql_with_params()
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} FROM {connection.ops.quote_name(Debt._meta.db_table)} "
        f"WHERE id IN (SELECT id FROM ({where_sql}) AS moving)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
    return queryset.update(status=status, updated_at=now)
