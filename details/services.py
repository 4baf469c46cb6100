"""Customer details (seed 000): fetch, store and link.

``get_or_fetch(run_id)`` looks in the local table first, then in the core
lending database (``details.flow_api``, resolving the entity chain), then
in mapper.csv; a run_id nobody knows raises ``UnknownRunId``. The batch
variant ``get_or_fetch_many`` does the same for many run_ids with a few
``IN (...)`` queries per batch.

Every write to CustomerDetails goes through ``customer_details_store_many``
(and the CSV backfill in ``details.csv_import``). A borrower that resolves to a ``cust_id`` is
linked to the Customer with that cust_id (``details.linking``), which is
created when it does not exist yet.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from details import flow_api
from details.choices import DetailsSource, SyncStatus
from details.linking import customers_link_many, relationship_managers_for
from details.mapper import MapperError, mapper_lookup_many
from details.models import CustomerDetails
from details.signals import details_resynced
from details.values import DATA_FIELDS, clean_values, content_hash

logger = logging.getLogger(__name__)


class UnknownRunId(LookupError):
    """No local row, the core database does not know it, mapper.csv neither."""

    def __init__(self, run_id: str, reason: str = ""):
        self.run_id = run_id
        message = f"unknown run_id {run_id!r}: not in customer details, the core database or mapper.csv"
        if reason:
            message += f" ({reason})"
        super().__init__(message)


class CoreDatabaseUnavailable(RuntimeError):
    """The core database is down and nothing local or in mapper.csv knows the run_id yet."""


@dataclass
class FetchOutcome:
    """What ``get_or_fetch_many`` found.

    ``details``: run_id → CustomerDetails (synced, pending or not_found);
    ``unknown``: run_ids nobody knows; ``core_error``: why the core database
    was not asked or did not answer ("" when it answered);
    ``core_queries``: SELECTs sent to it.
    """

    details: dict[str, CustomerDetails] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    core_error: str = ""
    core_configured: bool = True
    core_queries: int = 0


# ---------------------------------------------------------------------------
# storing


def customer_details_store_many(
    *,
    rows: Mapping[str, Mapping],
    source: str,
    sync_status: str,
    sync_error: str = "",
    persons: Mapping[int, flow_api.Person] | None = None,
    link_customers: bool = True,
) -> dict[str, CustomerDetails]:
    """Insert or update one CustomerDetails per run_id in ``rows``.

    A row whose values hash the same as the stored ones is left alone (only
    its sync status is corrected), so fetching the same data twice writes
    nothing. Returns run_id → CustomerDetails.
    """
    if not rows:
        return {}
    now = timezone.now()
    with transaction.atomic():
        existing = CustomerDetails.objects.select_for_update().in_bulk(list(rows), field_name="run_id")
        to_create, to_update, status_only, result = [], [], [], {}
        for run_id, raw in rows.items():
            values = clean_values({**raw, "run_id": run_id})
            digest = content_hash(values)
            obj = existing.get(run_id)
            if obj is None:
                obj = CustomerDetails(**values)
                to_create.append(obj)
            elif obj.content_hash == digest:
                if obj.sync_status != sync_status or obj.sync_error != sync_error:
                    status_only.append(obj)
                obj.sync_status, obj.sync_error = sync_status, sync_error
                result[run_id] = obj
                continue
            else:
                for name, value in values.items():
                    setattr(obj, name, value)
                to_update.append(obj)
            obj.source, obj.sync_status, obj.sync_error = source, sync_status, sync_error
            obj.synced_at = now if sync_status == SyncStatus.SYNCED else obj.synced_at
            obj.content_hash = digest
            obj.updated_at = now
            result[run_id] = obj
        relationship_managers_for(to_create + to_update, persons)
        if to_create:
            CustomerDetails.objects.bulk_create(to_create, batch_size=1000)
            if any(o.pk is None for o in to_create):  # backends that return no ids
                ids = dict(CustomerDetails.objects.filter(run_id__in=[o.run_id for o in to_create]).values_list("run_id", "pk"))
                for o in to_create:
                    o.pk = ids[o.run_id]
        if to_update:
            fields = [*DATA_FIELDS, "relationship_manager", "source", "sync_status", "sync_error", "synced_at", "content_hash", "updated_at"]
            CustomerDetails.objects.bulk_update(to_update, fields, batch_size=200)
        if status_only:
            CustomerDetails.objects.bulk_update(status_only, ["sync_status", "sync_error"], batch_size=1000)
        if link_customers:
            customers_link_many(details_list=[o for o in result.values() if o.cust_id and not o.customer_id])
    return result


# ---------------------------------------------------------------------------
# fetching


def _mapper(run_ids: Iterable[str]) -> dict[str, dict]:
    run_ids = list(run_ids)
    if not run_ids:
        return {}
    try:
        return mapper_lookup_many(run_ids)
    except (MapperError, OSError, UnicodeDecodeError) as exc:
        # The last fallback being broken must not break what called us.
        logger.error("mapper.csv unusable: %s", exc)
        return {}


def _store_core_answer(
    outcome: FetchOutcome, ask_core: list[str], local: dict[str, CustomerDetails], lookup: flow_api.CoreLookup
) -> None:
    """The core database answered: store what it knows; what it does not know
    is marked ``not_found`` (kept if local, else taken from mapper.csv)."""
    outcome.core_queries = lookup.queries
    outcome.details.update(
        customer_details_store_many(rows=lookup.details, source=DetailsSource.CORE_DB, sync_status=SyncStatus.SYNCED, persons=lookup.persons)
    )
    not_in_core = [r for r in ask_core if r not in lookup.details]
    # Pending rows the core now says it never had: keep their data, stop retrying.
    stale = [local[r] for r in not_in_core if r in local]
    for obj in stale:
        obj.sync_status, obj.sync_error = SyncStatus.NOT_FOUND, "the core database does not know this run_id"
    if stale:
        CustomerDetails.objects.bulk_update(stale, ["sync_status", "sync_error"])
    from_mapper = _mapper(r for r in not_in_core if r not in local)
    outcome.details.update(
        customer_details_store_many(rows=from_mapper, source=DetailsSource.MAPPER, sync_status=SyncStatus.NOT_FOUND,
                                    sync_error="the core database does not know this run_id")
    )
    outcome.unknown = {r for r in not_in_core if r not in outcome.details}


def _store_without_core(
    outcome: FetchOutcome, ask_core: list[str], local: dict[str, CustomerDetails], *, placeholders: bool
) -> None:
    """The core database is off or down: what mapper.csv knows is stored
    ``pending``, and (with ``placeholders``) an empty pending row for the rest."""
    new = [r for r in ask_core if r not in local]
    from_mapper = _mapper(new)
    outcome.details.update(
        customer_details_store_many(rows=from_mapper, source=DetailsSource.MAPPER, sync_status=SyncStatus.PENDING, sync_error=outcome.core_error)
    )
    still_unknown = [r for r in new if r not in from_mapper]
    # Placeholders only while the core is down: without a core database
    # nothing would ever fill them in.
    if placeholders and outcome.core_configured and still_unknown:
        outcome.details.update(
            customer_details_store_many(
                rows={r: {} for r in still_unknown}, source=DetailsSource.CORE_DB, sync_status=SyncStatus.PENDING,
                sync_error=outcome.core_error, link_customers=False,
            )
        )
    outcome.unknown = {r for r in still_unknown if r not in outcome.details}


def get_or_fetch_many(run_ids: Iterable[str], *, placeholders: bool = False) -> FetchOutcome:
    """Resolve many run_ids: local rows, then the core database, then mapper.csv.

    Local rows still ``pending`` are asked of the core again. When the core
    database is down or times out, what mapper.csv knows is stored as
    ``pending``; with ``placeholders`` (the statement import) a run_id that
    mapper.csv does not know either gets an empty ``pending`` row too, so
    the scheduled retry can fill it in. When the core answers that it does
    not know a run_id, mapper.csv's row is stored as ``not_found``.
    """
    wanted = list(dict.fromkeys(str(r).strip() for r in run_ids if r and str(r).strip()))
    outcome = FetchOutcome()
    if not wanted:
        return outcome
    local = CustomerDetails.objects.in_bulk(wanted, field_name="run_id")
    outcome.details.update(local)
    ask_core = [r for r in wanted if r not in local or local[r].sync_status == SyncStatus.PENDING]
    if not ask_core:
        return outcome
    try:
        lookup = flow_api.fetch_details_many(ask_core)
    except flow_api.FlowApiNotConfigured as exc:
        outcome.core_error, outcome.core_configured = str(exc), False
    except flow_api.FlowApiUnavailable as exc:
        outcome.core_error = str(exc)
    else:
        _store_core_answer(outcome, ask_core, local, lookup)
        return outcome
    _store_without_core(outcome, ask_core, local, placeholders=placeholders)
    return outcome


def get_or_fetch(run_id: str, *, placeholders: bool = False) -> CustomerDetails:
    """The CustomerDetails of ``run_id``: local, else core database, else mapper.csv.

    Raises ``UnknownRunId`` when nobody knows it, and
    ``CoreDatabaseUnavailable`` when the core database is down and nothing
    local or in mapper.csv knows it (unless ``placeholders``: then an empty
    ``pending`` row is returned, to be filled by the scheduled retry).
    """
    run_id = str(run_id or "").strip()
    if not run_id:
        raise UnknownRunId(run_id, "empty run_id")
    outcome = get_or_fetch_many([run_id], placeholders=placeholders)
    if run_id in outcome.details:
        return outcome.details[run_id]
    if outcome.core_error and outcome.core_configured:
        raise CoreDatabaseUnavailable(outcome.core_error)
    raise UnknownRunId(run_id, outcome.core_error)


def customer_details_retry_pending(*, limit: int = 5000) -> dict:
    """Ask the core database again for ``pending`` rows (oldest first).

    When any of them is now synced or known to be unknown, sends
    ``details_resynced`` with the run_ids asked (statements re-enriches its
    statements on it). Returns counts for the task log.
    """
    run_ids = list(
        CustomerDetails.objects.filter(sync_status=SyncStatus.PENDING).order_by("updated_at", "id").values_list("run_id", flat=True)[:limit]
    )
    if not run_ids:
        return {"pending": 0, "synced": 0, "not_found": 0, "still_pending": 0, "core_error": ""}
    if not flow_api.is_configured():
        return {"pending": len(run_ids), "synced": 0, "not_found": 0, "still_pending": len(run_ids),
                "core_error": str(flow_api.FlowApiNotConfigured())}
    outcome = get_or_fetch_many(run_ids)
    statuses = [d.sync_status for r, d in outcome.details.items() if r in set(run_ids)]
    summary = {
        "pending": len(run_ids),
        "synced": statuses.count(SyncStatus.SYNCED),
        "not_found": statuses.count(SyncStatus.NOT_FOUND),
        "still_pending": statuses.count(SyncStatus.PENDING),
        "core_error": outcome.core_error,
    }
    if summary["synced"] or summary["not_found"]:
        details_resynced.send(sender=CustomerDetails, run_ids=run_ids)
    return summary


def customer_details_refresh(*, run_ids: Iterable[str]) -> FetchOutcome:
    """Read ``run_ids`` from the core database again, whatever their local
    state, and store what changed. Raises ``flow_api.FlowApiError`` when the
    core database is not configured or does not answer."""
    wanted = list(dict.fromkeys(str(r).strip() for r in run_ids if r and str(r).strip()))
    lookup = flow_api.fetch_details_many(wanted)
    outcome = FetchOutcome(core_queries=lookup.queries)
    outcome.details = customer_details_store_many(
        rows=lookup.details, source=DetailsSource.CORE_DB, sync_status=SyncStatus.SYNCED, persons=lookup.persons
    )
    outcome.unknown = {r for r in wanted if r not in lookup.details}
    return outcome
