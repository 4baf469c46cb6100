"""The statement engine: read a provider's statement file and verify it.

No Django here: bytes or a path in, dataclasses out (``ParsedStatement``,
``StatementResult``), ``Decimal`` money, ``StatementError`` subclasses for
files that cannot be read. ``statements.services`` stores the results.

    parse_bytes(data, provider=None, acc_number=None, password=None, limits=None) -> ParsedStatement
    check_bytes(data, ...) / check_path(path, ...) -> StatementResult
    process(parsed) -> StatementResult   (verification only, e.g. from stored raw rows)

``limits`` (``core.limits.FileLimits``, the defaults when None) bounds what
the readers do with any file: past one, ``LimitExceeded`` names the setting.

The package itself imports nothing heavy: its entry points live in
``statements.engine.api`` and load on first use, so importing the engine's
vocabulary (``statements.choices``, read when settings load) does not load
PDFium, the parsers or the rules.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from statements.engine.api import check_bytes, check_path, parse_bytes, parse_path, process, read_bytes
    from statements.engine.errors import StatementError

__all__ = ["StatementError", "parse_bytes", "parse_path", "check_bytes", "check_path", "process", "read_bytes"]
_FROM = {"StatementError": "statements.engine.errors"}


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(importlib.import_module(_FROM.get(name, "statements.engine.api")), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'statements.engine' has no attribute {name!r}")
