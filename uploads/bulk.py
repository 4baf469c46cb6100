"""Multi-row INSERT and UPDATE for the loan-book import, without the ORM's per-object cost.

``bulk_create`` spends most of its time preparing every value of every
field of every object in Python (measured: three quarters of an import), and
``bulk_update`` writes one ``CASE WHEN`` per field whose cost MySQL pays per
row. These helpers send the same statements a person would write by hand.

Callers pass values already in database form (strings, Decimals, dates,
naive-UTC datetimes, ciphertext); every column they leave out gets the
model field's default, prepared once per call, so a field added to the
model later is filled the way the ORM would fill it.

MySQL/MariaDB is the production path; SQLite (the no-server development
default) gets the same statements in smaller batches, one parameter per
value, and row-by-row updates.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection

INSERT_BATCH = 1000
UPDATE_BATCH = 500


def db_now(value):
    """An aware datetime as the database column takes it."""
    return connection.ops.adapt_datetimefield_value(value)


def _mysql() -> bool:
    return connection.vendor == "mysql"


def _sql_literal(db, value) -> bytes:
    """``value`` as SQL, escaped by the driver for this connection's character set.

    The types an import sends get a direct path; anything else goes through
    mysqlclient's own conversion.
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


def _insert_mysql(model, fields, rows: list[dict], constants: dict, returning: bool) -> list[int]:
    """The statement built as bytes: constants and defaults escaped once, each row's values once.

    Skipping the driver's %-formatting of a megabyte-long statement and its
    per-value type dispatch halves the client's share of an import.
    """
    connection.ensure_connection()
    db = connection.connection
    qn = connection.ops.quote_name
    plan = []
    for f in fields:
        if f.attname in rows[0]:
            plan.append((True, f.attname))
        else:
            value = constants[f.attname] if f.attname in constants else f.get_db_prep_save(f.get_default(), connection)
            plan.append((False, _sql_literal(db, value)))
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES ".encode()
    tail = f" RETURNING {qn(model._meta.pk.column)}".encode() if returning else b""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            values = [
                b"(" + b",".join([_sql_literal(db, row[item]) if from_row else item for from_row, item in plan]) + b")"
                for row in rows[start : start + INSERT_BATCH]
            ]
            cursor.execute(head + b",".join(values) + tail)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def insert(model, rows: list[dict], *, constants: dict | None = None, returning: bool = False) -> list[int]:
    """INSERT ``rows`` (dicts keyed by attname, all with the same keys); the new ids if ``returning``.

    ``constants`` are values shared by every row (timestamps, the upload id):
    written into the statement once instead of escaped once per row.

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
    slots, fixed = [], []
    for f in fields:
        if f.attname in rows[0]:
            slots.append("%s")
            continue
        value = constants[f.attname] if f.attname in constants else f.get_db_prep_save(f.get_default(), connection)
        slots.append("%s")
        fixed.append((len(slots) - 1, value))
    columns = ", ".join(qn(f.column) for f in fields)
    one = "(" + ", ".join(slots) + ")"
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

    One statement for several indexed lookups (MariaDB merges the index
    ranges), without the ORM's per-parameter preparation of IN lists.
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
    clauses, params = [], []
    for name, values in where.items():
        if values:
            clauses.append(f"{qn(meta.get_field(name).column)} IN ({', '.join(['%s'] * len(values))})")
            params.extend(values)
    if not clauses:
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {' OR '.join(clauses)}", params)
        return cursor.fetchall()
