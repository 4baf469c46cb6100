"""The engine's entry points (``statements.engine`` re-exports them lazily).

    read_bytes, parse_bytes, parse_path, check_bytes, check_path, process
"""
from __future__ import annotations

from pathlib import Path

from core.limits import FileLimits
from statements.engine.errors import LimitExceeded, StatementError, UnsupportedFile
from statements.engine.families import family_of
from statements.engine.parsers import default_registry
from statements.engine.source import Source
from statements.engine.types import ParsedStatement, StatementResult
from statements.engine.verify import process

__all__ = ["StatementError", "parse_bytes", "parse_path", "check_bytes", "check_path", "process", "read_bytes"]


def read_bytes(path: str | Path, *, max_bytes: int | None = None) -> bytes:
    """The file's bytes; ``LimitExceeded`` when it is larger than ``max_bytes``
    (the ``MAX_UPLOAD_SIZE`` an upload is held to, for the inbox and the import command)."""
    try:
        if max_bytes is not None and (size := Path(path).stat().st_size) > max_bytes:
            raise LimitExceeded(str(FileLimits(file_bytes=max_bytes).exceeded("file_bytes", f"{Path(path).name} is {size:,} bytes")))
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise UnsupportedFile(f"{path} is a folder, not a statement file") from None
    except FileNotFoundError:
        raise UnsupportedFile(f"{path}: no such file") from None
    except OSError as exc:
        raise UnsupportedFile(f"{path} cannot be read: {exc.strerror or exc}") from None


def parse_bytes(
    data: bytes, *, provider: str | None = None, acc_number: str | None = None, password: str | None = None, limits: FileLimits | None = None
) -> ParsedStatement:
    """Detect the provider and format of a statement file and read it."""
    limits = limits or FileLimits()
    source = Source.from_bytes(data, password=password, limits=limits)
    try:
        code = (provider or "").strip().upper() or None
        parser = default_registry().choose_parser(source, code)
        parsed = parser.parse(source, acc_number=acc_number)
    finally:
        source.close()
    if code and code != parsed.provider and family_of(code) == parsed.provider:
        parsed.provider = code  # a code of the family (UMTN2): stored as itself, read and verified as its family
    if len(parsed.transactions) > limits.rows:
        raise LimitExceeded(str(limits.exceeded("rows", f"the statement has {len(parsed.transactions):,} transactions")))
    if not parsed.acc_number and acc_number:
        parsed.acc_number = acc_number
    return parsed


def parse_path(
    path: str | Path, *, provider: str | None = None, acc_number: str | None = None, password: str | None = None, limits: FileLimits | None = None
) -> ParsedStatement:
    return parse_bytes(read_bytes(path), provider=provider, acc_number=acc_number, password=password, limits=limits)


def check_bytes(
    data: bytes, *, provider: str | None = None, acc_number: str | None = None, password: str | None = None, limits: FileLimits | None = None
) -> StatementResult:
    """Parse and verify: every processing rule applied, nothing stored."""
    return process(parse_bytes(data, provider=provider, acc_number=acc_number, password=password, limits=limits))


def check_path(
    path: str | Path, *, provider: str | None = None, acc_number: str | None = None, password: str | None = None, limits: FileLimits | None = None
) -> StatementResult:
    return check_bytes(read_bytes(path), provider=provider, acc_number=acc_number, password=password, limits=limits)
