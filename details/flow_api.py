"""Reads from the core lending database (``FLOW_API``; see FLOW_API.md).

Raw ``SELECT``s on the ``flow_api`` connection, never the ORM: none of these
tables are our models, and the router refuses any write there. Run_ids are
resolved in batches of ``FLOW_API_BATCH_SIZE`` with at most six ``IN (...)``
queries per batch (requests, customer statements, leads, reassessments,
borrowers, persons), never one query per run_id.

The entity chain: request → (customer_statement →) lead or
reassessment_result → ``cust_id`` → borrower; persons give the RMs' names.
"""
from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from core.routers import FLOW_API_ALIAS
from details.choices import EntityType

logger = logging.getLogger(__name__)

LEAD = EntityType.LEAD.value
REASSESSMENT = EntityType.REASSESSMENT_RESULT.value
CUSTOMER_STATEMENT = EntityType.CUSTOMER_STATEMENT.value
# Spellings the core system has used for the same entity types.
_ENTITY_ALIASES = {
    "lead": LEAD,
    "leads": LEAD,
    "reassessment_result": REASSESSMENT,
    "reassessment_results": REASSESSMENT,
    "reassessment": REASSESSMENT,
    "customer_statement": CUSTOMER_STATEMENT,
    "customer_statements": CUSTOMER_STATEMENT,
}


class FlowApiError(Exception):
    """The core lending database could not answer."""


class FlowApiNotConfigured(FlowApiError):
    def __init__(self, message: str = "core database not configured: set FLOW_API_DATABASE_URL to read the core lending database"):
        super().__init__(message)


class FlowApiUnavailable(FlowApiError):
    """Down, refusing connections or timing out (FLOW_API_TIMEOUT_SECONDS)."""


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    middle_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)


@dataclass
class CoreLookup:
    """What the core database knows about a set of run_ids.

    ``details`` maps each known run_id to CustomerDetails field values;
    run_ids it does not know are absent. ``persons`` holds the RMs named.
    """

    details: dict[str, dict] = field(default_factory=dict)
    persons: dict[int, Person] = field(default_factory=dict)
    queries: int = 0


@receiver(connection_created, dispatch_uid="details.flow_api.read_only_session")
def _read_only_session(sender, connection, **kwargs):
    """Make every core-database session read-only on the server side.

    The router keeps the ORM away, but raw SQL or an explicit
    ``using="flow_api"`` bypasses routers; a read-only session makes the
    server itself refuse any write, whatever the database user may do.
    """
    if connection.alias != FLOW_API_ALIAS or connection.vendor != "mysql":
        return
    db = connection.settings_dict
    # The test runner must create and fill its throw-away copy (NAME is the
    # TEST NAME then, or None while it creates the database).
    if not db.get("NAME") or db.get("NAME") == (db.get("TEST") or {}).get("NAME"):
        return
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")


def is_configured() -> bool:
    """Whether a core database connection is set up (``FLOW_API_DATABASE_URL``)."""
    return settings.FLOW_API_ENABLED and FLOW_API_ALIAS in connections


def _core_timezone():
    # The core system stores naive local times; a TIME_ZONE on the flow_api
    # database settings says which, else the project's zone.
    name = connections[FLOW_API_ALIAS].settings_dict.get("TIME_ZONE") or settings.TIME_ZONE
    return zoneinfo.ZoneInfo(name)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _entity(value) -> str:
    text = (str(value).strip().lower() if value is not None else "")
    return _ENTITY_ALIASES.get(text, text)


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _int(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _Reader:
    """One batch's worth of SELECTs on one cursor, counting them."""

    def __init__(self, cursor, tz):
        self.cursor = cursor
        self.tz = tz
        self.queries = 0

    def select_in(self, sql: str, values: Iterable) -> list[dict]:
        values = sorted({v for v in values if v is not None and v != ""}, key=str)
        if not values:
            return []
        placeholders = ", ".join(["%s"] * len(values))
        self.cursor.execute(sql.format(placeholders=placeholders), values)
        self.queries += 1
        columns = [col[0] for col in self.cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in self.cursor.fetchall()]

    def dt(self, value):
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.tz)
            return value.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=self.tz).astimezone(UTC)
        return None


_REQUESTS_SQL = (
    "SELECT id, flow_req_id, acc_number, alt_acc_num, acc_prvdr_code, status, object_key, lambda_status, "
    "created_at, entity, entity_id, created_by FROM partner_acc_stmt_requests "
    "WHERE flow_req_id IN ({placeholders}) ORDER BY id"
)
_CUSTOMER_STATEMENTS_SQL = (
    "SELECT id, entity, entity_id, holder_name, distributor_code, acc_ownership, status, result, score, "
    "`limit`, prev_limit, assessment_date FROM customer_statements WHERE id IN ({placeholders})"
)
_LEADS_SQL = (
    "SELECT id, cust_id, mobile_num, biz_name, first_name, last_name, id_proof_num, national_id, location, "
    "territory, status, profile_status, score_status, type, lead_date, assessment_date, onboarded_date "
    "FROM leads WHERE id IN ({placeholders})"
)
_REASSESSMENTS_SQL = (
    "SELECT id, cust_id, prev_limit, status, type, created_at FROM reassessment_results WHERE id IN ({placeholders})"
)
# ORDER BY id: should the core ever hold two borrower rows for one cust_id,
# the newest wins (the dict below keeps the last one read).
_BORROWERS_SQL = (
    "SELECT id, cust_id, biz_name, reg_date, tot_loans, tot_default_loans, crnt_fa_limit, prev_fa_limit, "
    "last_assessment_date, kyc_status, activity_status, profile_status, fa_status, status, risk_category, "
    "reg_flow_rel_mgr_id, flow_rel_mgr_id FROM borrowers WHERE cust_id IN ({placeholders}) ORDER BY id"
)
_PERSONS_SQL = "SELECT id, first_name, middle_name, last_name FROM persons WHERE id IN ({placeholders})"


def _final_entities(requests: dict[str, dict], statements: dict) -> dict[str, tuple[str, int | None, dict | None]]:
    """run_id → (final entity type, final entity id, customer statement or None):
    a request on a customer statement leads on to that statement's entity."""
    finals: dict[str, tuple[str, int | None, dict | None]] = {}
    for run_id, req in requests.items():
        direct = _entity(req["entity"])
        cs = statements.get(_int(req["entity_id"])) if direct == CUSTOMER_STATEMENT else None
        if direct == CUSTOMER_STATEMENT:
            final_type, final_id = (_entity(cs["entity"]), _int(cs["entity_id"])) if cs else ("", None)
        else:
            final_type, final_id = direct, _int(req["entity_id"])
        finals[run_id] = (final_type, final_id, cs)
    return finals


def _read_persons(reader: _Reader, requests: dict[str, dict], borrowers: dict[str, dict], lookup: CoreLookup) -> None:
    """Add to ``lookup.persons`` the RMs named by the requests and borrowers (those not read yet)."""
    person_ids = {_int(r["created_by"]) for r in requests.values()}
    for b in borrowers.values():
        person_ids |= {_int(b["reg_flow_rel_mgr_id"]), _int(b["flow_rel_mgr_id"])}
    person_ids -= set(lookup.persons) | {None}
    for row in reader.select_in(_PERSONS_SQL, person_ids):
        lookup.persons[int(row["id"])] = Person(int(row["id"]), _text(row["first_name"]), _text(row["middle_name"]), _text(row["last_name"]))


def _request_values(reader: _Reader, run_id: str, req: dict, final: tuple[str, int | None, dict | None], person_name) -> dict:
    """The request's and its customer statement's columns, and the entity chain."""
    final_type, final_id, cs = final
    direct = _entity(req["entity"])
    return {
        "run_id": run_id,
        "stmt_request_id": _int(req["id"]),
        "acc_number": _text(req["acc_number"]),
        "alt_acc_num": _text(req["alt_acc_num"]),
        "acc_prvdr_code": _text(req["acc_prvdr_code"]).upper(),
        "request_status": _text(req["status"]),
        "object_key": _text(req["object_key"]),
        "lambda_status": _text(req["lambda_status"]),
        "request_created_at": reader.dt(req["created_at"]),
        "created_by_rm_id": _int(req["created_by"]),
        "rm_name": person_name(req["created_by"]),
        "direct_entity_type": direct,
        "direct_entity_id": _int(req["entity_id"]),
        "customer_statement_id": _int(req["entity_id"]) if direct == CUSTOMER_STATEMENT else None,
        "final_entity_type": final_type,
        "final_entity_id": final_id,
        "account_holder_name": _text(cs["holder_name"]) if cs else "",
        "acc_ownership": _text(cs["acc_ownership"]) if cs else "",
        "distributor_code": _text(cs["distributor_code"]) if cs else "",
        "cs_status": _text(cs["status"]) if cs else "",
        "cs_result": _text(cs["result"]) if cs else "",
        "cs_score": cs["score"] if cs else None,
        "cs_limit": cs["limit"] if cs else None,
        "cs_prev_limit": cs["prev_limit"] if cs else None,
        "cs_assessment_date": reader.dt(cs["assessment_date"]) if cs else None,
    }


def _lead_values(reader: _Reader, lead: dict | None) -> dict:
    return {
        "lead_id": _int(lead["id"]) if lead else None,
        "lead_mobile": _text(lead["mobile_num"]) if lead else "",
        "lead_biz_name": _text(lead["biz_name"]) if lead else "",
        "lead_first_name": _text(lead["first_name"]) if lead else "",
        "lead_last_name": _text(lead["last_name"]) if lead else "",
        "lead_id_proof_num": _text(lead["id_proof_num"]) if lead else "",
        "lead_national_id": _text(lead["national_id"]) if lead else "",
        "lead_location": _text(lead["location"]) if lead else "",
        "lead_territory": _text(lead["territory"]) if lead else "",
        "lead_status": _text(lead["status"]) if lead else "",
        "lead_profile_status": _text(lead["profile_status"]) if lead else "",
        "lead_score_status": _text(lead["score_status"]) if lead else "",
        "lead_type": _text(lead["type"]) if lead else "",
        "lead_date": reader.dt(lead["lead_date"]) if lead else None,
        "lead_assessment_date": reader.dt(lead["assessment_date"]) if lead else None,
        "lead_onboarded_date": reader.dt(lead["onboarded_date"]) if lead else None,
    }


def _reassessment_values(reader: _Reader, reassessment: dict | None) -> dict:
    return {
        "reassessment_id": _int(reassessment["id"]) if reassessment else None,
        "reassessment_prev_limit": reassessment["prev_limit"] if reassessment else None,
        "reassessment_status": _text(reassessment["status"]) if reassessment else "",
        "reassessment_type": _text(reassessment["type"]) if reassessment else "",
        "reassessment_created_at": reader.dt(reassessment["created_at"]) if reassessment else None,
    }


def _borrower_values(reader: _Reader, borrower: dict | None, person_name) -> dict:
    values = {
        "borrower_id": _int(borrower["id"]) if borrower else None,
        "borrower_biz_name": _text(borrower["biz_name"]) if borrower else "",
        "borrower_reg_date": borrower["reg_date"] if borrower else None,
        "tot_loans": _int(borrower["tot_loans"]) if borrower else None,
        "tot_default_loans": _int(borrower["tot_default_loans"]) if borrower else None,
        "current_fa_limit": borrower["crnt_fa_limit"] if borrower else None,
        "previous_fa_limit": borrower["prev_fa_limit"] if borrower else None,
        "borrower_last_assessment_date": reader.dt(borrower["last_assessment_date"]) if borrower else None,
        "borrower_kyc_status": _text(borrower["kyc_status"]) if borrower else "",
        "borrower_activity_status": _text(borrower["activity_status"]) if borrower else "",
        "borrower_profile_status": _text(borrower["profile_status"]) if borrower else "",
        "borrower_fa_status": _text(borrower["fa_status"]) if borrower else "",
        "borrower_status": _text(borrower["status"]) if borrower else "",
        "risk_category": _text(borrower["risk_category"]) if borrower else "",
        "registered_rm_id": _int(borrower["reg_flow_rel_mgr_id"]) if borrower else None,
        "registered_rm_name": person_name(borrower["reg_flow_rel_mgr_id"]) if borrower else "",
        "current_rm_id": _int(borrower["flow_rel_mgr_id"]) if borrower else None,
        "current_rm_name": person_name(borrower["flow_rel_mgr_id"]) if borrower else "",
    }
    if isinstance(values["borrower_reg_date"], datetime):
        values["borrower_reg_date"] = values["borrower_reg_date"].date()
    return values


def _resolve_batch(reader: _Reader, run_ids: Sequence[str], lookup: CoreLookup) -> None:
    """Follow one batch of run_ids down the entity chain, six queries at most,
    and add each known run_id's CustomerDetails values to ``lookup``."""
    requests = {row["flow_req_id"]: row for row in reader.select_in(_REQUESTS_SQL, run_ids)}
    if not requests:
        return

    cs_ids = [_int(r["entity_id"]) for r in requests.values() if _entity(r["entity"]) == CUSTOMER_STATEMENT]
    statements = {row["id"]: row for row in reader.select_in(_CUSTOMER_STATEMENTS_SQL, cs_ids)}
    finals = _final_entities(requests, statements)

    leads = {row["id"]: row for row in reader.select_in(_LEADS_SQL, [f[1] for f in finals.values() if f[0] == LEAD])}
    reassessments = {
        row["id"]: row for row in reader.select_in(_REASSESSMENTS_SQL, [f[1] for f in finals.values() if f[0] == REASSESSMENT])
    }
    cust_ids = {_text(row["cust_id"]) for row in (*leads.values(), *reassessments.values())} - {""}
    borrowers = {_text(row["cust_id"]): row for row in reader.select_in(_BORROWERS_SQL, cust_ids)}
    _read_persons(reader, requests, borrowers, lookup)

    def person_name(person_id) -> str:
        person = lookup.persons.get(_int(person_id))
        return person.full_name if person else ""

    for run_id, req in requests.items():
        final_type, final_id, _ = finals[run_id]
        values = _request_values(reader, run_id, req, finals[run_id], person_name)
        lead = leads.get(final_id) if final_type == LEAD else None
        reassessment = reassessments.get(final_id) if final_type == REASSESSMENT else None
        values.update(_lead_values(reader, lead))
        values.update(_reassessment_values(reader, reassessment))
        final_row = lead or reassessment
        cust_id = _text(final_row["cust_id"]) if final_row else ""
        values["cust_id"] = cust_id
        values.update(_borrower_values(reader, borrowers.get(cust_id) if cust_id else None, person_name))
        lookup.details[run_id] = values


def fetch_details_many(run_ids: Iterable[str], *, batch_size: int | None = None) -> CoreLookup:
    """Resolve ``run_ids`` through the core database's entity chain.

    Raises ``FlowApiNotConfigured`` without ``FLOW_API_DATABASE_URL`` and
    ``FlowApiUnavailable`` when the database is down or times out (the
    connection is then closed, so the next call reconnects).
    """
    if not is_configured():
        raise FlowApiNotConfigured()
    wanted = sorted({str(r).strip() for r in run_ids if r and str(r).strip()})
    lookup = CoreLookup()
    if not wanted:
        return lookup
    size = batch_size or settings.FLOW_API_BATCH_SIZE
    connection = connections[FLOW_API_ALIAS]
    try:
        tz = _core_timezone()
        with connection.cursor() as cursor:
            reader = _Reader(cursor, tz)
            for batch in _chunks(wanted, size):
                _resolve_batch(reader, batch, lookup)
            lookup.queries = reader.queries
    except DatabaseError as exc:
        # A half-open connection would fail every later call in this process.
        try:
            connection.close()
        except DatabaseError:
            pass
        logger.warning("core database unavailable: %s", exc)
        raise FlowApiUnavailable(f"core database unavailable: {exc}") from exc
    return lookup


def fetch_details(run_id: str) -> dict | None:
    """The core database's CustomerDetails values for one run_id, or ``None`` if unknown."""
    return fetch_details_many([run_id]).details.get(str(run_id).strip())
