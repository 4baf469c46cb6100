"""Customer details (seed 000): fetch, store, link and count.

``get_or_fetch(run_id)`` looks in the local table first, then in the core
lending database (``customers.flow_api``, resolving the entity chain), then
in mapper.csv; a run_id nobody knows raises ``UnknownRunId``. The batch
variant ``get_or_fetch_many`` does the same for many run_ids with a few
``IN (...)`` queries per batch.

Every write to CustomerDetails goes through ``customer_details_store`` /
``customer_details_store_many`` (and the CSV backfill in
``customers.details_csv``). A borrower that resolves to a ``cust_id`` is
linked to the Customer with that cust_id, which is created (through
``customers.services.customer_create``) when it does not exist yet.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core.phones import try_normalize_phone
from core.text import customer_fingerprint
from customers import flow_api
from customers.choices import DetailsSource, SyncStatus
from customers.mapper import MapperError, mapper_lookup_many
from customers.models import Customer, CustomerDetails, RelationshipManager

logger = logging.getLogger(__name__)

# Columns that are not data about the request/borrower: bookkeeping we set.
_BOOKKEEPING = {
    "id", "created_at", "updated_at", "customer", "relationship_manager", "source", "sync_status",
    "synced_at", "sync_error", "content_hash",
}
DATA_FIELDS: tuple[str, ...] = tuple(
    f.name for f in CustomerDetails._meta.concrete_fields if f.name not in _BOOKKEEPING
)
ENCRYPTED_FIELDS = ("lead_id_proof_num", "lead_national_id")
_CHAR_LIMITS = {
    f.name: f.max_length
    for f in CustomerDetails._meta.concrete_fields
    if f.name in DATA_FIELDS and isinstance(f, (models.CharField, models.TextField)) and not f.null
}


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


def canonical(value) -> str:
    """The text a value is hashed as, the same whether it came from a CSV cell
    or a core-database column (so ``1500000`` and ``1500000.00`` agree)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt_timezone.utc)
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def content_hash(values: Mapping) -> str:
    """SHA-256 of the data values (sorted by name) that a row was written with."""
    digest = hashlib.sha256()
    for name in sorted(values):
        if name in _BOOKKEEPING:
            continue
        digest.update(name.encode())
        digest.update(b"\x1f")
        digest.update(canonical(values[name]).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def _clean_values(values: Mapping) -> dict:
    """Only data fields; text columns get "" for missing and are clipped to the column."""
    cleaned = {}
    for name, value in values.items():
        if name not in DATA_FIELDS:
            continue
        limit = _CHAR_LIMITS.get(name, -1)
        if limit != -1:
            value = "" if value is None else str(value).strip()
            if limit and len(value) > limit:
                logger.warning("customer details %s: %s longer than %s characters, clipped", values.get("run_id"), name, limit)
                value = value[:limit]
        cleaned[name] = value
    return cleaned


# ---------------------------------------------------------------------------
# relationship managers and customers


def _relationship_managers_for(objs: list[CustomerDetails], persons: Mapping[int, flow_api.Person] | None) -> None:
    """Point each row at the RelationshipManager of its current RM, creating
    the RM (by the core's person id) when it is new."""
    person_ids = {o.current_rm_id for o in objs if o.current_rm_id}
    if not person_ids:
        return
    known = {rm.person_id: rm.pk for rm in RelationshipManager.objects.filter(person_id__in=person_ids)}
    new = []
    for pid in sorted(person_ids - set(known)):
        person = (persons or {}).get(pid)
        name = person.full_name if person else next((o.current_rm_name for o in objs if o.current_rm_id == pid and o.current_rm_name), "")
        if not name:
            continue  # an id the core cannot name: nothing to show ops
        new.append(
            RelationshipManager(
                person_id=pid,
                full_name=name,
                first_name=person.first_name if person else "",
                middle_name=person.middle_name if person else "",
                last_name=person.last_name if person else "",
            )
        )
    if new:
        # ignore_conflicts: a concurrent fetch may have created the same RM.
        RelationshipManager.objects.bulk_create(new, ignore_conflicts=True)
        known.update(RelationshipManager.objects.filter(person_id__in=[r.person_id for r in new]).values_list("person_id", "pk"))
    for o in objs:
        if o.current_rm_id in known:
            o.relationship_manager_id = known[o.current_rm_id]


def _customer_name(details: CustomerDetails) -> str:
    lead_name = " ".join(p for p in (details.lead_first_name, details.lead_last_name) if p)
    return (
        details.borrower_biz_name or lead_name or details.lead_biz_name or details.account_holder_name or details.cust_id
    )


def _customer_phone(details: CustomerDetails) -> str | None:
    # A mobile-money account number is the borrower's phone number.
    for raw in (details.lead_mobile, details.acc_number, details.alt_acc_num):
        phone = try_normalize_phone(raw) if raw else None
        if phone:
            return phone
    return None


def customers_link_many(*, details_list: Iterable[CustomerDetails]) -> int:
    """Link each row with a ``cust_id`` to its Customer; return how many rows changed.

    Existing customer with that cust_id → linked. Otherwise, for a resolved
    borrower: a customer without a cust_id whose fingerprint (phone + name)
    matches, or the only one with that phone, is claimed (given the cust_id)
    so loan-book debts and calls meet the statements; else a new Customer is
    created with the business name and phone. A row without a borrower is
    linked only to an existing customer. A borrower without a usable phone
    cannot become a Customer (the phone is required) and stays unlinked.
    """
    from customers.services import customer_create, customer_update

    rows = [d for d in details_list if d.cust_id and d.pk]
    if not rows:
        return 0
    by_cust_id = dict(Customer.objects.filter(cust_id__in={d.cust_id for d in rows}).values_list("cust_id", "pk"))
    to_create: dict[str, CustomerDetails] = {}
    for d in rows:
        if d.cust_id not in by_cust_id and d.borrower_id and d.cust_id not in to_create:
            to_create[d.cust_id] = d

    if to_create:
        candidates = {cust_id: (_customer_phone(d), _customer_name(d)) for cust_id, d in to_create.items()}
        phones = {p for p, _ in candidates.values() if p}
        unclaimed = list(
            Customer.objects.filter(primary_phone__in=phones, cust_id__isnull=True).values_list("pk", "primary_phone", "fingerprint")
        )
        by_fingerprint = {fp: pk for pk, _, fp in unclaimed if fp}
        by_phone: dict[str, list[int]] = {}
        for pk, phone, _ in unclaimed:
            by_phone.setdefault(phone, []).append(pk)
        for cust_id, (phone, name) in candidates.items():
            if not phone:
                logger.info("borrower %s has no valid phone number; no customer created", cust_id)
                continue
            d = to_create[cust_id]
            claim = by_fingerprint.get(customer_fingerprint(phone, name))
            if claim is None and len(by_phone.get(phone, [])) == 1:
                claim = by_phone[phone][0]
            try:
                if claim is not None:
                    customer = customer_update(customer_id=claim, data={"cust_id": cust_id})
                    by_phone.pop(phone, None)
                else:
                    customer = customer_create(
                        cust_id=cust_id,
                        full_name=name,
                        business_name=d.borrower_biz_name or d.lead_biz_name,
                        first_name=d.lead_first_name,
                        last_name=d.lead_last_name,
                        primary_phone=phone,
                    )
            except ValidationError as exc:
                # e.g. another customer already holds this phone + name with a
                # different cust_id: ops must decide, we do not merge people.
                logger.warning("customer for cust_id %s not created: %s", cust_id, "; ".join(exc.messages))
                continue
            by_cust_id[cust_id] = customer.pk

    changed = []
    for d in rows:
        pk = by_cust_id.get(d.cust_id)
        if pk and d.customer_id != pk:
            d.customer_id = pk
            changed.append(d)
    if changed:
        CustomerDetails.objects.bulk_update(changed, ["customer"], batch_size=1000)
    return len(changed)


def customer_link_for_details(*, details: CustomerDetails) -> Customer | None:
    """The Customer of one details row (linked or created), or ``None``."""
    customers_link_many(details_list=[details])
    return details.customer if details.customer_id else None


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
            values = _clean_values({**raw, "run_id": run_id})
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
        _relationship_managers_for(to_create + to_update, persons)
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


def customer_details_store(
    *, run_id: str, values: Mapping, source: str, sync_status: str = SyncStatus.SYNCED, sync_error: str = "", link_customer: bool = True
) -> CustomerDetails:
    """Insert or update the CustomerDetails of ``run_id`` with ``values``."""
    run_id = str(run_id).strip()
    if not run_id:
        raise ValidationError({"run_id": "A run_id is required."})
    try:
        stored = customer_details_store_many(
            rows={run_id: values}, source=source, sync_status=sync_status, sync_error=sync_error, link_customers=link_customer
        )
    except IntegrityError:
        # Lost a race with another writer inserting the same run_id: the row
        # exists now, so the second attempt updates it.
        stored = customer_details_store_many(
            rows={run_id: values}, source=source, sync_status=sync_status, sync_error=sync_error, link_customers=link_customer
        )
    return stored[run_id]


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

    core_answered = False
    try:
        lookup = flow_api.fetch_details_many(ask_core)
        core_answered = True
    except flow_api.FlowApiNotConfigured as exc:
        outcome.core_error, outcome.core_configured = str(exc), False
    except flow_api.FlowApiUnavailable as exc:
        outcome.core_error = str(exc)

    if core_answered:
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
        return outcome

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
    """Ask the core database again for ``pending`` rows (oldest first) and
    re-enrich their statements. Returns counts for the task log."""
    from customers.enrichment import statements_enrich_many

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
        from statements.models import Statement

        statements_enrich_many(queryset=Statement.objects.filter(run_id__in=run_ids))
    return summary


# ---------------------------------------------------------------------------
# statistics (seed 000 "Statistics")


def _pct(part: int, total: int) -> float:
    return round(100.0 * part / total, 1) if total else 0.0


def customer_details_statistics(queryset=None) -> dict:
    """Coverage of the table: total, with cust_id, with borrower, by provider,
    direct and final entity distribution, sync status and source — counts
    and percentages of the total."""
    qs = CustomerDetails.objects.all() if queryset is None else queryset
    totals = qs.aggregate(
        total=Count("id"),
        with_cust_id=Count("id", filter=~Q(cust_id="")),
        with_borrower=Count("id", filter=Q(borrower_id__isnull=False)),
    )
    total = totals["total"]

    def distribution(column: str) -> list[dict]:
        rows = qs.order_by().values(column).annotate(count=Count("id")).order_by("-count", column)
        return [{"value": r[column] or "", "count": r["count"], "percent": _pct(r["count"], total)} for r in rows]

    return {
        "total": total,
        "with_cust_id": {"count": totals["with_cust_id"], "percent": _pct(totals["with_cust_id"], total)},
        "with_borrower": {"count": totals["with_borrower"], "percent": _pct(totals["with_borrower"], total)},
        "by_provider": distribution("acc_prvdr_code"),
        "direct_entity": distribution("direct_entity_type"),
        "final_entity": distribution("final_entity_type"),
        "sync_status": distribution("sync_status"),
        "source": distribution("source"),
    }


def format_statistics(stats: dict) -> str:
    """The statistics as seed 000 prints them."""
    total = stats["total"]
    lines = [
        "Statistics",
        f"- Total statements: {total:,}",
        f"- With cust_id: {stats['with_cust_id']['count']:,} ({stats['with_cust_id']['percent']:.1f}%)",
        f"- With borrower_id: {stats['with_borrower']['count']:,} ({stats['with_borrower']['percent']:.1f}%)",
    ]
    for row in stats["by_provider"]:
        lines.append(f"- {row['value'] or '(no provider)'}: {row['count']:,} ({row['percent']:.1f}%)")

    def dist(rows):
        return ", ".join(f"{r['value'] or '(none)'} {r['count']:,} ({r['percent']:.1f}%)" for r in rows) or "-"

    lines += [
        "Entity Distribution:",
        f"- Direct entities: {dist(stats['direct_entity'])}",
        f"- Final entities: {dist(stats['final_entity'])}",
    ]
    return "\n".join(lines)


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
