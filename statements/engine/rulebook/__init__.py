"""Each provider's processing rules as data: one declarative table per
provider (``uatl.TABLE``, ``umtn.TABLE``), in the shape ``schema`` defines.

The code that applies them is general (``statements.engine.base.ProviderRules``
and ``verify``); adding or changing a special transaction, an implicit
charge, a sign convention or a file-signature fact is an edit here, not a
branch in code. ``TABLES`` lists every table (the test runs every rule of
every provider from it).
"""
from __future__ import annotations

from statements.engine.rulebook import uatl, umtn
from statements.engine.rulebook.schema import ProviderTable

TABLES: dict[str, ProviderTable] = {uatl.TABLE.provider: uatl.TABLE, umtn.TABLE.provider: umtn.TABLE}
