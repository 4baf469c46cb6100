"""The core-database fixtures of ``details.tests`` for the enrichment tests:
the same throw-away core database, created for this folder and dropped
after it (``flow_api_database`` is package-scoped and autouse here too)."""
from details.tests.conftest import (  # noqa: F401  (fixtures, registered by being named here)
    CoreDown,
    _no_stray_mapper,
    flow_api,
    flow_api_database,
    mapper_csv,
    no_flow_api,
)
