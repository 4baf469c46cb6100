"""Bounds on the work any file reader does, whatever the file holds.

A statement or loan-book file is hostile input: a 779 KB ``.csv.gz`` can
decompress to 256 MB, a 205 KB ``.xlsx`` can hold one 200 MB string, a PDF
can have 3,000 pages. Every reader takes a ``FileLimits`` and refuses a file
past one of them with ``LimitExceeded``, whose message says what was too big
and names the setting (``FILE_LIMIT_*``, documented in the README).

Pure Python, no Django: the statement engine imports it. The Django side
builds the limits with ``FileLimits.from_settings(django.conf.settings)``.

    FileLimits                   the limits, one field per setting
    LimitExceeded                a file past a limit (a ``ValueError``)
    capped_gunzip(data, limits)  a gzip file as a stream, decompressed a block at a time and refused past the byte cap
    gzip_declared_size(fileobj)  what a gzip file's trailer says it decompresses to (a cheap check at the door)
    check_zip(fileobj, limits)   a ZIP / XLSX's directory against the limits, without decompressing anything
    check_at_door(fileobj, limits)  what the web request can check cheaply: a gzip's declared size, a ZIP's directory
"""
from __future__ import annotations

import gzip
import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

MIB = 1 << 20
# A ZIP member smaller than this is not held to the compression ratio: small
# XML parts of a workbook (styles, an empty sheet) compress far better than
# data does, and cannot be a bomb.
RATIO_FLOOR_BYTES = 1 * MIB


class LimitExceeded(ValueError):
    """A file past one of the limits; ``setting`` names it."""

    def __init__(self, message: str, *, setting: str):
        super().__init__(message)
        self.setting = setting


# Field -> the setting that sets it (the loan-book readers stream, so a loan
# book may be larger than a statement, which is read in memory).
_SETTINGS = {
    "file_bytes": "MAX_UPLOAD_SIZE",
    "uncompressed_bytes": "FILE_LIMIT_UNCOMPRESSED_BYTES",
    "compression_ratio": "FILE_LIMIT_COMPRESSION_RATIO",
    "zip_members": "FILE_LIMIT_ZIP_MEMBERS",
    "shared_strings_bytes": "FILE_LIMIT_SHARED_STRINGS_BYTES",
    "sheets": "FILE_LIMIT_SHEETS",
    "rows": "FILE_LIMIT_ROWS",
    "columns": "FILE_LIMIT_COLUMNS",
    "cell_chars": "FILE_LIMIT_CELL_CHARS",
    "pdf_pages": "FILE_LIMIT_PDF_PAGES",
}
_LOAN_BOOK_SETTINGS = {
    **_SETTINGS,
    "uncompressed_bytes": "FILE_LIMIT_LOAN_BOOK_UNCOMPRESSED_BYTES",
    "rows": "FILE_LIMIT_LOAN_BOOK_ROWS",
}


@dataclass(frozen=True)
class FileLimits:
    """What one file may hold; the defaults are the settings' defaults for statements."""

    file_bytes: int = 50 * MIB  # the file itself, as uploaded or found on disk
    uncompressed_bytes: int = 64 * MIB  # a gzip's output; the sum of a ZIP's members
    compression_ratio: int = 100  # uncompressed / compressed size of one ZIP member (over 1 MiB)
    zip_members: int = 1_000
    shared_strings_bytes: int = 64 * MIB  # an XLSX's sharedStrings.xml (openpyxl holds it whole)
    sheets: int = 50
    rows: int = 100_000  # a statement (its parse and checks take ~15 s and ~250 MB at this size)
    columns: int = 200
    cell_chars: int = 32_767  # Excel's own limit for a cell
    pdf_pages: int = 1_000
    loan_book: bool = False  # which settings the messages name

    @classmethod
    def from_settings(cls, settings: object, *, loan_book: bool = False) -> FileLimits:
        """The limits ``settings`` (Django's) configure, for statements or (``loan_book``) loan books."""
        names = _LOAN_BOOK_SETTINGS if loan_book else _SETTINGS
        return cls(**{field: int(getattr(settings, name)) for field, name in names.items()}, loan_book=loan_book)

    def setting(self, field: str) -> str:
        return (_LOAN_BOOK_SETTINGS if self.loan_book else _SETTINGS)[field]

    def exceeded(self, field: str, what: str) -> LimitExceeded:
        """The refusal for going past ``field``: ``what`` says what the file holds."""
        name = self.setting(field)
        return LimitExceeded(f"the file is over a limit: {what} (the most allowed is {getattr(self, field):,}, set by {name})", setting=name)


# --------------------------------------------------------------------------- gzip


class _Capped(io.RawIOBase):
    """A readable stream that refuses to give more than ``cap`` bytes."""

    def __init__(self, raw: IO[bytes], cap: int, refusal: LimitExceeded):
        self._raw, self._cap, self._refusal, self.total = raw, cap, refusal, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self.total += len(data)
        if self.total > self._cap:
            raise self._refusal
        buffer[: len(data)] = data
        return len(data)


def capped_gunzip(data: bytes | IO[bytes], limits: FileLimits) -> io.BufferedReader:
    """The decompressed bytes of gzip ``data`` as a stream, a block at a time.

    Reading past ``limits.uncompressed_bytes`` raises ``LimitExceeded``;
    a damaged or truncated file raises ``gzip.BadGzipFile``/``EOFError``/``zlib.error``.
    """
    raw = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    refusal = limits.exceeded("uncompressed_bytes", f"the gzip file decompresses to more than {limits.uncompressed_bytes:,} bytes")
    return io.BufferedReader(_Capped(gzip.GzipFile(fileobj=raw, mode="rb"), limits.uncompressed_bytes, refusal), buffer_size=256 * 1024)


def gzip_declared_size(fileobj: IO[bytes]) -> int:
    """The uncompressed size a gzip file's trailer declares (modulo 4 GiB; a
    forged trailer is caught when the worker decompresses the file)."""
    position = fileobj.tell()
    try:
        fileobj.seek(-4, os.SEEK_END)
        trailer = fileobj.read(4)
    finally:
        fileobj.seek(position)
    return int(struct.unpack("<I", trailer)[0]) if len(trailer) == 4 else 0


# --------------------------------------------------------------------------- zip / xlsx

_EOCD = b"PK\x05\x06"


def _declared_entries(fileobj: IO[bytes]) -> int | None:
    """The entry count in a ZIP's end-of-central-directory record (read
    before ``zipfile`` builds an object per entry)."""
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    tail_size = min(size, 22 + 65535)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    fileobj.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    entries = int(struct.unpack("<H", tail[at + 10 : at + 12])[0])
    return None if entries == 0xFFFF else entries  # 0xFFFF: a ZIP64 count, zipfile reads it


def check_zip(fileobj: IO[bytes], limits: FileLimits, *, actual: bool = False) -> list[zipfile.ZipInfo]:
    """Hold a ZIP's central directory to the limits (members, declared sizes,
    ratios, sheets, shared strings) without decompressing a byte; return its
    members. Raises ``zipfile.BadZipFile`` for a file that is not a ZIP.

    ``actual`` (the worker, before openpyxl reads the file): also decompress
    every member as a stream, a block at a time, and refuse one whose data
    runs past its declared size. ``zipfile`` stops a member at its declared
    size, but a whole-member ``read()`` (what openpyxl does) first inflates
    all of its compressed data in one go: a forged small size would not bound
    that."""
    entries = _declared_entries(fileobj)
    if entries is not None and entries > limits.zip_members:
        raise limits.exceeded("zip_members", f"the ZIP file holds {entries:,} parts")
    with zipfile.ZipFile(fileobj) as archive:
        infos = archive.infolist()
    fileobj.seek(0)
    if len(infos) > limits.zip_members:
        raise limits.exceeded("zip_members", f"the ZIP file holds {len(infos):,} parts")
    total, sheets = 0, 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limits.compression_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise limits.exceeded(
                "compression_ratio", f"the part {info.filename!r} decompresses {ratio:,} times ({info.file_size:,} bytes from {info.compress_size:,})"
            )
        name = info.filename.lower()
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            sheets += 1
        if name == "xl/sharedstrings.xml" and info.file_size > limits.shared_strings_bytes:
            raise limits.exceeded("shared_strings_bytes", f"the workbook's shared strings take {info.file_size:,} bytes")
    if total > limits.uncompressed_bytes:
        raise limits.exceeded("uncompressed_bytes", f"the ZIP file decompresses to {total:,} bytes")
    if sheets > limits.sheets:
        raise limits.exceeded("sheets", f"the workbook has {sheets:,} sheets")
    if actual:
        for info in infos:
            _check_actual_size(fileobj, info, limits)
        fileobj.seek(0)
    return infos


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def _check_actual_size(fileobj: IO[bytes], info: zipfile.ZipInfo, limits: FileLimits) -> None:
    """Inflate one member's raw data a block at a time; refuse it past its declared size."""
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise zipfile.BadZipFile(f"the part {info.filename!r} is stored with {info.compress_size:,} bytes but declares {info.file_size:,}")
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise zipfile.BadZipFile(f"the part {info.filename!r} uses compression method {info.compress_type}, not one a workbook uses")
    fileobj.seek(info.header_offset)
    header = fileobj.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"the part {info.filename!r} has no local header")
    fileobj.seek(_LOCAL_HEADER.unpack(header)[-2] + _LOCAL_HEADER.unpack(header)[-1], os.SEEK_CUR)
    inflate = zlib.decompressobj(-15)
    left, produced, block = info.compress_size, 0, 256 * 1024
    while left > 0 or inflate.unconsumed_tail:
        data = inflate.unconsumed_tail
        if not data:
            data = fileobj.read(min(block, left))
            if not data:
                break
            left -= len(data)
        produced += len(inflate.decompress(data, block))
        if produced > info.file_size:
            raise limits.exceeded(
                "uncompressed_bytes", f"the part {info.filename!r} decompresses to more than the {info.file_size:,} bytes it declares"
            )
        if inflate.eof:
            break


def check_at_door(fileobj: IO[bytes], limits: FileLimits) -> None:
    """What a web request can check without decompressing or parsing: a
    gzip's declared size, a ZIP's directory. Raises ``LimitExceeded``
    (``zipfile.BadZipFile`` for a damaged ZIP); other files pass."""
    position = fileobj.tell()
    fileobj.seek(0)
    head = fileobj.read(4)
    fileobj.seek(0)
    try:
        if head.startswith(b"\x1f\x8b"):
            declared = gzip_declared_size(fileobj)
            if declared > limits.uncompressed_bytes:
                raise limits.exceeded("uncompressed_bytes", f"the gzip file says it decompresses to {declared:,} bytes")
        elif head.startswith(b"PK\x03\x04"):
            check_zip(fileobj, limits)
    finally:
        fileobj.seek(position)


# --------------------------------------------------------------------------- file names


def storage_file_name(name: str, max_bytes: int) -> str:
    """``name`` (its last path component) shortened to at most ``max_bytes``
    of UTF-8, cut between characters and keeping a short extension: the name
    a file is stored under. File systems allow 255 bytes, so a 200-character
    name in a multibyte script (600 bytes) would fail with ENAMETOOLONG; the
    original name stays on the row for display."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip() or "file"
    if len(name.encode()) <= max_bytes:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext.encode()) <= 16 else ""
    stem = name[: len(name) - len(suffix)]
    room = max_bytes - len(suffix.encode())
    cut = stem.encode()[:room].decode("utf-8", errors="ignore").rstrip(" .") or "file"
    return cut + suffix
