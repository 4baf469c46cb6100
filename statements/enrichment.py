"""Statement enrichment (seed 000): give each statement its customer details,
cust_id, Customer and RM.

The statement import calls ``statement_enrich`` for every new statement;
``manage.py enrich_statements`` calls ``statements_enrich_many``, and so
does ``enrich_resynced`` when details' scheduled retry has heard back from
the core database (the ``details_resynced`` signal). Neither ever fails because the core database is
down: the statement is then linked to a ``pending`` details row and
``enriched_at`` stays empty until the retry fills it in.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from details.choices import SyncStatus
from details.linking import customers_link_many
from details.models import CustomerDetails
from details.services import get_or_fetch_many
from statements.models import Statement
from statements.risk import statement_request_check, statements_request_check_many

logger = logging.getLogger(__name__)

ENRICHED_FIELDS = ["customer_details", "customer", "cust_id", "rm_name", "enriched_at", "updated_at"]


@dataclass
class EnrichSummary:
    total: int = 0
    enriched: int = 0  # linked to synced (or core-unknown, mapper-known) details
    pending: int = 0  # linked to details waiting for the core database
    unknown: int = 0  # run_id nobody knows
    no_run_id: int = 0
    changed: int = 0  # statements actually written
    core_queries: int = 0
    core_error: str = ""


def _apply(statement, details: CustomerDetails | None, now) -> bool:
    """Copy ``details`` onto ``statement``; return whether anything changed."""
    before = (statement.customer_details_id, statement.customer_id, statement.cust_id, statement.rm_name, statement.enriched_at)
    if details is None:
        statement.enriched_at = None
    else:
        statement.customer_details_id = details.pk
        statement.customer_id = details.customer_id or statement.customer_id
        statement.cust_id = details.cust_id
        # The RM who requested the statement (mapper.csv's rm_name); when the
        # core cannot name them, the borrower's current RM.
        statement.rm_name = details.rm_name or details.current_rm_name
        if details.sync_status == SyncStatus.PENDING:
            statement.enriched_at = None
        elif statement.enriched_at is None or before[:4] != (
            statement.customer_details_id, statement.customer_id, statement.cust_id, statement.rm_name
        ):
            statement.enriched_at = now
    after = (statement.customer_details_id, statement.customer_id, statement.cust_id, statement.rm_name, statement.enriched_at)
    return after != before


def _tally(summary: EnrichSummary, details: CustomerDetails | None) -> None:
    if details is None:
        summary.unknown += 1
    elif details.sync_status == SyncStatus.PENDING:
        summary.pending += 1
    else:
        summary.enriched += 1


def _statements_update(changed: list) -> None:
    """Write ENRICHED_FIELDS of ``changed`` statements.

    On MySQL/MariaDB one ``UPDATE ... JOIN (SELECT ... UNION ALL ...)`` per
    1,000 statements: Django's ``bulk_update`` spends about 2 ms a row
    building its ``CASE WHEN`` expressions (most of an enrichment batch).
    Elsewhere ``bulk_update``. Neither sends signals nor writes history.
    """
    db = router.db_for_write(Statement)
    connection = connections[db]
    if connection.vendor != "mysql":
        Statement.objects.using(db).bulk_update(changed, ENRICHED_FIELDS, batch_size=1000)
        return
    meta = Statement._meta
    fields = [meta.get_field(name) for name in ENRICHED_FIELDS]
    qn = connection.ops.quote_name
    aliases = [qn(f"v_{f.column}") for f in fields]
    first = f"SELECT %s AS {qn('v_pk')}, " + ", ".join(f"%s AS {alias}" for alias in aliases)
    other = "SELECT " + ", ".join(["%s"] * (len(fields) + 1))
    assignments = ", ".join(f"t.{qn(f.column)} = v.{alias}" for f, alias in zip(fields, aliases, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(changed), 1000):
            chunk = changed[start : start + 1000]
            params = []
            for obj in chunk:
                params.append(obj.pk)
                params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            derived = " UNION ALL ".join([first, *([other] * (len(chunk) - 1))])
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} AS t JOIN ({derived}) AS v ON t.{qn(meta.pk.column)} = v.{qn('v_pk')} "
                f"SET {assignments}",
                params,
            )


def _resolve(run_ids: list[str], summary: EnrichSummary) -> dict[str, CustomerDetails]:
    outcome = get_or_fetch_many(run_ids, placeholders=True)
    summary.core_queries += outcome.core_queries
    summary.core_error = outcome.core_error or summary.core_error
    # Rows that came from the CSV backfill have no Customer yet.
    customers_link_many(details_list=[d for d in outcome.details.values() if d.cust_id and not d.customer_id])
    return outcome.details


def statement_enrich(*, statement):
    """Enrich one statement in place (and save it if it is saved already).

    Never raises because of the core database or mapper.csv: a failure is
    logged and the statement is left as it was, to be picked up by
    ``enrich_statements --missing-only``.
    """
    run_id = (statement.run_id or "").strip()
    if not run_id:
        return statement
    try:
        with transaction.atomic():
            details = _resolve([run_id], EnrichSummary()).get(run_id)
    except Exception:  # the import must go on whatever happened here
        logger.exception("statement %s: customer details for run_id %s could not be fetched", statement.pk, run_id)
        return statement
    if _apply(statement, details, timezone.now()) and statement.pk:
        statement.updated_at = timezone.now()
        statement.save(update_fields=ENRICHED_FIELDS)
    if statement.pk and details is not None:
        # The request's account against the file's, and the holder's other numbers (risk reasons).
        statement_request_check(statement=statement)
    return statement


def statements_enrich_many(
    *, queryset=None, missing_only: bool = False, batch_size: int = 2000, progress: Callable[[int], None] | None = None
) -> EnrichSummary:
    """Enrich every statement of ``queryset`` (default: all) in batches.

    ``missing_only`` keeps statements without details or whose details are
    still pending. Each batch asks the core database once (a few ``IN``
    queries) and writes only the statements that changed.
    """
    qs = Statement.objects.all() if queryset is None else queryset
    if missing_only:
        qs = qs.filter(Q(customer_details__isnull=True) | Q(enriched_at__isnull=True))
    summary = EnrichSummary()
    pairs = list(qs.order_by("pk").values_list("pk", "run_id"))
    summary.total = len(pairs)
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start : start + batch_size]
        with_run_id = [(pk, (run_id or "").strip()) for pk, run_id in batch if (run_id or "").strip()]
        summary.no_run_id += len(batch) - len(with_run_id)
        with transaction.atomic():
            details = _resolve([r for _, r in with_run_id], summary)
            statements = Statement.objects.filter(pk__in=[pk for pk, _ in with_run_id]).only(
                "pk", "run_id", "acc_number", "status", "customer_details", "customer", "cust_id", "rm_name", "enriched_at", "updated_at"
            )
            now = timezone.now()
            changed = []
            for statement in statements:
                found = details.get(statement.run_id.strip())
                _tally(summary, found)
                if _apply(statement, found, now):
                    statement.updated_at = now
                    changed.append(statement)
            if changed:
                _statements_update(changed)
            summary.changed += len(changed)
            # The request's account against the file's and the holder's
            # other numbers (risk reasons), for the statements whose verdict may move.
            statements_request_check_many(pairs=[(s, details.get(s.run_id.strip())) for s in changed])
        if progress:
            progress(len(batch))
    return summary


def enrich_resynced(sender, *, run_ids, **kwargs) -> None:
    """``details_resynced`` receiver (connected in ``StatementsConfig.ready``):
    re-enrich the statements of details the scheduled retry brought back."""
    statements_enrich_many(queryset=Statement.objects.filter(run_id__in=run_ids))
