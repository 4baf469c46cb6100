"""Keep the core lending database (``flow_api``) read-only and unmigrated."""
from __future__ import annotations

FLOW_API_ALIAS = "flow_api"


class ReadOnlyDatabaseError(RuntimeError):
    pass


class FlowApiRouter:
    """Nothing of ours lives on ``flow_api``; we only run raw SELECTs there.

    Any ORM write routed to it is refused loudly rather than silently sent to
    the lender's core system, and ``migrate --database=flow_api`` is a no-op.
    """

    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        if hints.get("using") == FLOW_API_ALIAS:
            raise ReadOnlyDatabaseError("the core lending database (flow_api) is read-only")
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == FLOW_API_ALIAS:
            return False
        return None
