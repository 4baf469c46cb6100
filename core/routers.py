"""Keep the core lending database (``flow_api``) read-only and unmigrated.

Two layers, because a router alone cannot do it: Django consults routers
only when no database is named, so ``save(using="flow_api")`` or a raw
cursor would bypass one. The router keeps our models and migrations off the
alias; ``guard_read_only`` (installed on every ``flow_api`` connection when it
opens) refuses any statement that is not a read, whoever sends it.
"""
from __future__ import annotations

import re

from django.db import DatabaseError

FLOW_API_ALIAS = "flow_api"

# Reads, session settings and transaction control; anything else (INSERT,
# UPDATE, DELETE, REPLACE, CREATE, ALTER, DROP, TRUNCATE, LOAD, CALL…) is refused.
_READ_STATEMENT = re.compile(
    r"^\s*\(?\s*(SELECT|WITH|SHOW|EXPLAIN|DESCRIBE|DESC|SET|SAVEPOINT|RELEASE|ROLLBACK|COMMIT|BEGIN|START\s+TRANSACTION)\b",
    re.IGNORECASE,
)


class ReadOnlyDatabaseError(DatabaseError):
    """A write was sent to the core lending database; it never left CreditDesk."""


class FlowApiRouter:
    """Nothing of ours lives on ``flow_api``; we only run SELECTs there."""

    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        # Never route a write there; explicit using= is caught by the guard.
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == FLOW_API_ALIAS:
            return False
        return None


def _refuse_writes(execute, sql, params, many, context):
    if not _READ_STATEMENT.match(sql or ""):
        first = (sql or "").strip().split(None, 1)[0] if (sql or "").strip() else "?"
        raise ReadOnlyDatabaseError(
            f"the core lending database (flow_api) is read-only to CreditDesk: refused a {first.upper()} statement"
        )
    return execute(sql, params, many, context)


def guard_read_only(sender, connection, **kwargs):
    """``connection_created`` handler: arm the read-only guard on ``flow_api``."""
    if connection.alias == FLOW_API_ALIAS and _refuse_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_refuse_writes)
