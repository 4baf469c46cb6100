"""Fast inserts of many plain rows, for the ingestion pipelines.

``bulk_create`` builds SQL value by value through the ORM compiler; for
statements with thousands of wide rows that costs more CPU than the database
does. This takes dicts keyed by attname, converts each column once with the
field's own database adapter, and sends ``executemany`` (which mysqlclient
turns into multi-row INSERTs). No signals, no ``pre_save``: use it only for
tables whose rows need neither (transactions of a statement).
"""
from __future__ import annotations

import json
from typing import Callable, Iterable

from django.db import connections, models


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
            cursor.executemany(sql, [tuple(convert(row[name]) for convert, name in zip(converters, names)) for row in chunk])
    return len(rows)


def _fk_or_field(model, attname: str) -> models.Field:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    return model._meta.get_field(attname)
