"""What kind of file this is, from its first bytes (never its name: MTN's
``.csv`` downloads are often XLSX workbooks)."""
from __future__ import annotations

import zlib
from typing import IO

from core.limits import FileLimits, capped_gunzip
from statements.engine.errors import CorruptFile, UnsupportedFile
from statements.engine.vocabulary import FileKind

_MAGIC = (
    (b"%PDF", FileKind.PDF),
    (b"PK\x03\x04", FileKind.XLSX),
    (b"\xd0\xcf\x11\xe0", FileKind.XLS),
    (b"\x1f\x8b", FileKind.GZIP_CSV),
)


def sniff_kind(data: bytes) -> FileKind:
    """pdf / xlsx / xls / gzip-csv / csv; raises ``UnsupportedFile`` for
    anything that is not one of those (an HTML error page, an image...)."""
    if not data:
        raise UnsupportedFile("the file is empty (0 bytes)")
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    for magic, kind in _MAGIC:
        # A PDF may carry a little junk before %PDF (the spec allows 1 KB).
        if (kind == FileKind.PDF and magic in head) or head.startswith(magic):
            return kind
    if b"\x00" in head:
        raise UnsupportedFile(f"not a statement file: binary content starting {data[:8]!r}")
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<html", b"<!doctype", b"<?xml", b"{", b"[")):
        raise UnsupportedFile(f"not a statement file: it is HTML/XML/JSON text starting {head.strip()[:40]!r}")
    return FileKind.CSV


# A CSV's text: UTF-8 (with or without BOM), else Windows-1252 (Latin-1 plus
# the curly quotes and euro sign Excel writes), else Latin-1 (decodes anything).
TEXT_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def gunzip_stream(data: bytes, limits: FileLimits) -> IO[bytes]:
    """A gzip-compressed CSV's bytes as a stream, decompressed a block at a
    time and refused past ``limits.uncompressed_bytes`` (``core.limits``)."""
    stream = capped_gunzip(data, limits)
    try:
        head = stream.peek(1024)[:1024]
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptFile(f"the gzip file is damaged or truncated: {exc}") from exc
    if b"\x00" in head:
        raise UnsupportedFile("the gzip file does not hold a CSV text file")
    return stream
