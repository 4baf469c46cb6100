"""Reading a loan book for processing: each line parsed, fingerprinted and
given its matching keys, a chunk at a time, in a background thread.

Everything here is work that needs no database, so the thread that talks to
the database only matches and writes.
"""
from __future__ import annotations

import hashlib
import json
import mmap
import os
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

from core.masking import mask
from customers.models import Customer
from uploads.matching import Line, loan_key
from uploads.parsing import ParsedRow, parse_record
from uploads.readers import HeaderMap, LoanBookReader, Record, cell_text, normalize_header

_NATIONAL_ID_HASH = Customer._meta.get_field("national_id_hash")


class Prepared(Line):
    """One line, parsed, with its matching keys, its line number and its raw JSON.

    Not the record it came from: its cells and dicts are three fifths of a
    line's memory, and up to four chunks are alive at once (the one being
    written, two queued, one being read).
    """

    __slots__ = ("line_number", "raw_json")

    def __init__(self, line_number: int, row: ParsedRow, raw: dict, fingerprint: str, nid_hash: str | None):
        super().__init__(row, fingerprint, nid_hash)
        self.line_number = line_number
        self.raw_json = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))


class _HeaderPlan:
    """Per-file facts computed once, not per line."""

    def __init__(self, header_map: HeaderMap):
        self.header_map = header_map
        headers = [h for h in header_map.headers if h]
        # Identical lines are identical whatever the column order or header spelling.
        self.fingerprint_order = sorted(headers, key=normalize_header)
        self.nid_header = header_map.header_for("national_id") if "national_id" in header_map.field_index else None


def _prepare(record: Record, plan: _HeaderPlan, region: str) -> Prepared:
    row = parse_record(record, plan.header_map, region=region)
    raw = record.raw
    nid_hash = None
    values = [raw.get(h, "") for h in plan.fingerprint_order]
    if plan.nid_header and raw.get(plan.nid_header):
        nid_hash = _NATIONAL_ID_HASH.compute(raw[plan.nid_header])
        # Never keep a national ID in clear: raw data is shown in the admin,
        # the API and the failed-rows export. The fingerprint uses its keyed hash.
        values[plan.fingerprint_order.index(plan.nid_header)] = nid_hash or ""
        raw = {**raw, plan.nid_header: mask(raw[plan.nid_header])}
    if record.extra_cells:
        raw = {**raw, "_extra_cells": record.extra_cells}
        values.extend(record.extra_cells)
    fingerprint = hashlib.sha256("\x1f".join(values).encode("utf-8")).hexdigest()
    return Prepared(record.line_number, row, raw, fingerprint, nid_hash)


_MAX_SLOTS = 1 << 24  # 16 MB: few false repeats even for a million loan ids


def _slot_count(reader: LoanBookReader) -> int:
    """Slots for the loan-id table: about 64 per possible line (a line is 40 bytes or more), 4 KB to 16 MB."""
    handle = reader.fileobj
    try:
        position = handle.tell()
        size = handle.seek(0, os.SEEK_END)
        handle.seek(position)
    except (AttributeError, OSError, ValueError):
        return _MAX_SLOTS
    slots = 1 << 12
    while slots < size * 64 // 40 and slots < _MAX_SLOTS:
        slots <<= 1
    return slots


def _data_rows(reader: LoanBookReader) -> Iterator[tuple[int, list]]:
    """The file's rows after the header that have a value (the records ``reader.count()`` counts)."""
    plain = reader.cells_are_text
    header_seen = False
    for line, cells in reader._rows():
        filled = any(c and not c.isspace() for c in cells) if plain else any(cell_text(c) for c in cells)
        if not filled:
            continue
        if header_seen:
            yield line, cells
        else:
            header_seen = True


def loan_id_conflicts(reader: LoanBookReader) -> tuple[dict[str, list[int]], int]:
    """(loan key -> every line number of a loan_id written on several lines
    with different content, the number of records).

    Chunks are committed one by one, so a conflict between line 10 and line
    90,000 has to be known before line 10 is applied: a pass over the whole
    file before the import (which also counts its records). It marks each
    loan_id's slot in a byte table (16 MB: memory stays flat for a million
    lines); only when a slot is hit twice does a second pass look at the
    lines of those loan_ids (the real repeats and a few hash neighbours) and
    compare their content exactly.
    """
    header_map = reader.header_map or reader.read_header()
    slots = _slot_count(reader)
    # An anonymous map, not a bytearray: its pages go back to the system when
    # it is closed, and a 16 MB malloc would raise glibc's mmap threshold and
    # leave the import's later buffers on a heap that never shrinks.
    with mmap.mmap(-1, slots) as seen:
        return _conflicts(reader, header_map.field_index["loan_id"], seen, slots - 1)


def _conflicts(reader: LoanBookReader, column: int, seen: mmap.mmap, mask: int) -> tuple[dict[str, list[int]], int]:
    plain = reader.cells_are_text
    records = 0
    repeats = False
    for _line, cells in _data_rows(reader):
        records += 1
        if column >= len(cells):
            continue
        loan_id = cells[column].strip() if plain else cell_text(cells[column])
        if not loan_id:
            continue
        slot = hash(loan_key(loan_id)) & mask
        if seen[slot]:
            seen[slot] = 2
            repeats = True
        else:
            seen[slot] = 1
    if not repeats:
        return {}, records
    contents: dict[str, dict[tuple, list[int]]] = {}
    for line, cells in _data_rows(reader):
        if column >= len(cells):
            continue
        loan_id = cells[column].strip() if plain else cell_text(cells[column])
        if not loan_id:
            continue
        key = loan_key(loan_id)
        if seen[hash(key) & mask] == 2:
            # The cells as the reader gives them (trailing empty cells aside): equal cells, identical lines.
            content = tuple(c.strip() if plain else cell_text(c) for c in cells)
            while content and not content[-1]:
                content = content[:-1]
            contents.setdefault(key, {}).setdefault(content, []).append(line)
    conflicts = {
        key: sorted(n for lines in by_content.values() for n in lines)
        for key, by_content in contents.items() if len(by_content) > 1
    }
    return conflicts, records


def prepared_chunks(reader: LoanBookReader, records: Iterator[Record], region: str, chunk_size: int) -> Iterator[list[Prepared]]:
    """``records`` parsed and keyed, ``chunk_size`` at a time."""
    plan = None
    while True:
        first = next(records, None)
        if first is None:
            return
        plan = plan or _HeaderPlan(reader.header_map)  # the header is read with the first record
        chunk = [_prepare(first, plan, region)]
        # Each record is dropped once prepared, not held through the yield.
        del first
        chunk.extend(_prepare(record, plan, region) for record in islice(records, chunk_size - 1))
        yield chunk


SWITCH_INTERVAL = 0.0005  # seconds, while the reader thread runs beside the writer

# The switch interval is the process's, and a Celery worker with threads runs
# imports side by side: the first import to start saves it and shortens it,
# the last to end puts it back (each restoring its own saved value would
# leave the short one behind when they overlap).
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


@contextmanager
def _short_switch_interval() -> Iterator[None]:
    global _switch_users, _switch_saved  # noqa: PLW0603 — one interval per process
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def in_background(chunks: Iterator[list[Prepared]], depth: int = 2) -> Iterator[list[Prepared]]:
    """Read and validate the next chunks in a thread while this one is written.

    Parsing is pure Python and the database round trips release the GIL, so
    the two overlap; the queue bounds memory to ``depth`` chunks. Errors in
    the reader (a broken line deep in the file) surface here, in order.
    """
    results: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        results.put((chunk, None), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            results.put((done, None))
        except BaseException as exc:  # handed to the consumer, raised there
            results.put((None, exc))

    worker = threading.Thread(target=produce, name="loan-book-reader", daemon=True)
    # Each database call releases the GIL; when it returns while the reader
    # holds it, the writer waits up to the switch interval (5 ms by default)
    # to get it back. A 50,000-line import sends 560 statements in chunks of
    # 1,000 (up to 2.8 s of waiting), 230 in chunks of 2,500: a shorter
    # interval for the import's duration (restored after, whatever happens).
    with _short_switch_interval():
        worker.start()
        try:
            while True:
                chunk, error = results.get()
                if error is not None:
                    raise error
                if chunk is done:
                    return
                yield chunk
        finally:
            stop.set()
            worker.join(timeout=5)
