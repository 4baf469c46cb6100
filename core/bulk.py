"""The bulk writer: many rows in few statements, without the ORM's per-object cost.

Two ways in, for two kinds of caller:

- :func:`bulk_insert` takes rows in Python form (Decimals, datetimes, dicts
  for JSON), converts each column once with the field's own database
  adapter and sends ``executemany`` with parameters (which mysqlclient turns
  into multi-row INSERTs). The statement importer uses it.
- :func:`insert`, :func:`update` and :func:`fetch_any` take values already
  in database form and build the statements a person would write by hand;
  the loan-book import uses them. ``bulk_create`` spends three quarters of
  an import preparing every value of every field in Python, and
  ``bulk_update`` writes one ``CASE WHEN`` per field whose cost MySQL pays
  per row. On MySQL/MariaDB, :func:`insert` sends literal SQL (skipping the
  driver's %-formatting of a megabyte-long statement halves the client's
  share of an import), every value escaped by :func:`sql_literal`.

Escaping lives here only: :func:`sql_literal` (any value, escaped by the
driver for the live connection) and :func:`sql_quote_text` (a text as a
quoted literal with one ``str.translate``, for callers that quote a whole
row's text at once; :func:`no_backslash_escapes` gives its mode). core/tests/test_bulk.py holds both to the driver's own
escaping, with and without ``NO_BACKSLASH_ESCAPES``.

None of these send signals or call ``pre_save``: use them only for tables
whose rows need neither. SQLite (the no-server development default) gets the
same results through parameters, in smaller batches.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, connections, models

INSERT_BATCH = 1000
UPDATE_BATCH = 500


# --------------------------------------------------------------------------
# escaping

# What mysql_real_escape_string does for a utf8/utf8mb4 connection. In
# UTF-8 no byte of a multi-byte character is ASCII, so escaping characters
# before encoding is the same as the driver escaping bytes after.
_ESCAPES = str.maketrans({"\0": "\\0", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "'": "\\'", '"': '\\"', "\x1a": "\\Z"})
# With sql_mode NO_BACKSLASH_ESCAPES a backslash is an ordinary character and
# the driver only doubles the quote.
_ESCAPES_NO_BACKSLASH = str.maketrans({"'": "''"})


def sql_quote_text(text: str, *, no_backslash_escapes: bool) -> str:
    """``text`` as a quoted MySQL string literal for a utf8mb4 connection.

    ``no_backslash_escapes`` is whether the session's sql_mode holds
    NO_BACKSLASH_ESCAPES (:func:`no_backslash_escapes` says). Quoting a
    run of cells joined by a separator that needs no escaping (``\\x1f``) and
    then replacing the separator with ``','`` escapes a whole row in one call.
    """
    return "'" + text.translate(_ESCAPES_NO_BACKSLASH if no_backslash_escapes else _ESCAPES) + "'"


def no_backslash_escapes(*, using: str = "default") -> bool:
    """Whether the live session's sql_mode holds NO_BACKSLASH_ESCAPES: the
    ``no_backslash_escapes`` to pass :func:`sql_quote_text` for that connection.

    Asked of the session itself: Django's ``connection.sql_mode`` is read
    once, on another connection, and misses a ``SET SESSION sql_mode``.
    """
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT @@SESSION.sql_mode")
        return "NO_BACKSLASH_ESCAPES" in (cursor.fetchone()[0] or "").upper().split(",")


def sql_literal(db, value: Any) -> bytes:
    """``value`` as an SQL literal, escaped by ``db`` (the raw MySQLdb
    connection: ``connection.connection``) for its character set and sql_mode.

    The types an import sends get a direct path; anything else goes through
    mysqlclient's own conversion. Positional, not keyword: it runs once per
    value of a 100,000-line import. (The driver's C escaping is about three
    times faster per short value than :func:`sql_quote_text`.)
    """
    kind = type(value)
    if kind is str:
        return db.string_literal(value.encode("utf-8"))  # the connection speaks utf8mb4
    if value is None:
        return b"NULL"
    if kind is int or kind is Decimal:
        return str(value).encode()
    if kind is date:
        return b"'" + value.isoformat().encode() + b"'"
    text = db.literal(value)
    return text if isinstance(text, bytes) else str(text).encode("utf-8")


# --------------------------------------------------------------------------
# rows in Python form, through parameters


def _converter(field: models.Field, connection) -> Callable:
    ops = connection.ops
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: None if v is None else ops.adapt_decimalfield_value(v, digits, places)
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else ops.adapt_datefield_value(v)
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda v: None if v is None else json.dumps(v, cls=encoder)
    return lambda v: v


def bulk_insert(model: type[models.Model], rows: Iterable[dict], *, using: str = "default", batch_size: int = 2000) -> int:
    """Insert ``rows`` (dicts with the same keys: field attnames) into ``model``'s table; return how many."""
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[using]
    names = list(rows[0].keys())
    fields = [model._meta.get_field(name) if not name.endswith("_id") else _fk_or_field(model, name) for name in names]
    converters = [_converter(f, connection) for f in fields]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            cursor.executemany(sql, [tuple(convert(row[name]) for convert, name in zip(converters, names, strict=True)) for row in chunk])
    return len(rows)


def _fk_or_field(model, attname: str) -> models.Field:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    return model._meta.get_field(attname)


# --------------------------------------------------------------------------
# rows in database form, as hand-written statements


def db_now(value):
    """An aware datetime as the database column takes it."""
    return connection.ops.adapt_datetimefield_value(value)


def _mysql() -> bool:
    return connection.vendor == "mysql"


def _insert_mysql(model, fields, rows: list[dict], constants: dict, returning: bool) -> list[int]:
    """The statement built as bytes: constants and defaults escaped once, each row's values once."""
    connection.ensure_connection()
    db = connection.connection
    qn = connection.ops.quote_name
    plan = []
    for f in fields:
        if f.attname in rows[0]:
            plan.append((True, f.attname))
        else:
            value = constants[f.attname] if f.attname in constants else f.get_db_prep_save(f.get_default(), connection)
            plan.append((False, sql_literal(db, value)))
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES ".encode()
    tail = f" RETURNING {qn(model._meta.pk.column)}".encode() if returning else b""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            values = [
                b"(" + b",".join([sql_literal(db, row[item]) if from_row else item for from_row, item in plan]) + b")"
                for row in rows[start : start + INSERT_BATCH]
            ]
            cursor.execute(head + b",".join(values) + tail)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def insert(model, rows: list[dict], *, constants: dict | None = None, returning: bool = False) -> list[int]:
    """INSERT ``rows`` (dicts keyed by attname, all with the same keys, values
    in database form); the new ids if ``returning``.

    ``constants`` are values shared by every row (timestamps, the upload id):
    written into the statement once instead of escaped once per row. Every
    column left out gets the model field's default, prepared once per call,
    so a field added to the model later is filled the way the ORM would.

    MariaDB (10.5+) returns the ids of a multi-row INSERT in the order of the
    VALUES, which is what Django's own bulk_create relies on too.
    """
    if not rows:
        return []
    qn = connection.ops.quote_name
    constants = constants or {}
    # A nullable column whose default is NULL is left to the database: a
    # shorter statement to send and parse, the same row.
    fields = [
        f for f in model._meta.concrete_fields
        if not f.primary_key and (f.attname in rows[0] or f.attname in constants or not (f.null and f.get_default() is None))
    ]
    if _mysql():
        return _insert_mysql(model, fields, rows, constants, returning)
    given = [f.attname for f in fields if f.attname in rows[0]]
    fixed = []
    for index, f in enumerate(fields):
        if f.attname not in rows[0]:
            fixed.append((index, constants[f.attname] if f.attname in constants else f.get_db_prep_save(f.get_default(), connection)))
    columns = ", ".join(qn(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch_size = max(1, connection.features.max_query_params // len(fields))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params = []
            extend = params.extend
            for row in batch:
                values = [row[name] for name in given]
                for index, value in fixed:
                    values.insert(index, value)
                extend(values)
            sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES {', '.join([one] * len(batch))}"
            if returning:
                cursor.execute(sql + f" RETURNING {qn(model._meta.pk.column)}", params)
                ids.extend(row[0] for row in cursor.fetchall())
            else:
                cursor.execute(sql, params)
    return ids


def update(model, rows: list[dict], fields: list[str]) -> None:
    """UPDATE ``fields`` of each row (dicts with ``id`` and those attnames) in one statement per batch.

    The new values travel as a derived table joined on the primary key, so
    the database does one indexed lookup per row instead of evaluating a
    CASE per field per row.
    """
    if not rows:
        return
    qn = connection.ops.quote_name
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    if not _mysql():
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} WHERE {qn(meta.pk.column)} = %s",
                [[row[name] for name in fields] + [row["id"]] for row in rows],
            )
        return
    first = "SELECT %s AS `_pk`, " + ", ".join(f"%s AS {qn(c)}" for c in columns)
    other = " UNION ALL SELECT " + ", ".join(["%s"] * (len(columns) + 1))
    assignments = ", ".join(f"t.{qn(c)} = v.{qn(c)}" for c in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPDATE_BATCH):
            batch = rows[start : start + UPDATE_BATCH]
            params = []
            for row in batch:
                params.append(row["id"])
                params.extend(row[name] for name in fields)
            derived = first + other * (len(batch) - 1)
            cursor.execute(
                f"UPDATE {qn(meta.db_table)} AS t JOIN ({derived}) AS v ON t.{qn(meta.pk.column)} = v.`_pk` SET {assignments}",
                params,
            )


def fetch_any(model, fields: list[str], **where: set) -> list[tuple]:
    """Rows where any ``field IN values`` holds, as tuples of ``fields`` (the primary key first).

    One statement for several indexed lookups, without the ORM's
    per-parameter preparation of IN lists: a UNION of one SELECT per field,
    because for ``a IN (…) OR b IN (…)`` with long lists MariaDB 10.11 reads
    the whole table instead of merging the two indexes (on the loan-book
    import's customer lookup: a full scan per chunk, 17 ms at 18,000
    customers and growing with the table; the UNION stays on the indexes).
    """
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(name).column) for name in fields)
    if not _mysql():
        # SQLite caps a statement's parameters and returns Decimals and dates
        # as text: the ORM, one field and one batch at a time.
        found = {}
        step = max(1, connection.features.max_query_params - 1)
        for name, values in where.items():
            values = list(values or ())
            for start in range(0, len(values), step):
                rows = model._base_manager.filter(**{f"{name}__in": values[start : start + step]}).order_by()
                for row in rows.values_list(*fields):
                    found[row[0]] = row
        return list(found.values())
    selects, params = [], []
    for name, values in where.items():
        if values:
            selects.append(
                f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {qn(meta.get_field(name).column)} IN ({', '.join(['%s'] * len(values))})"
            )
            params.extend(values)
    if not selects:
        return []
    with connection.cursor() as cursor:
        # UNION (not UNION ALL): a row found by two fields comes back once.
        cursor.execute(" UNION ".join(selects), params)
        return cursor.fetchall()
