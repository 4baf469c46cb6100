"""Writing the customer-details export: upserts by run_id.

On MySQL/MariaDB a batch goes out as a few multi-row ``INSERT ... ON
DUPLICATE KEY UPDATE`` statements whose values are the SQL literals
``details.csv_rows`` built; other databases get ``INSERT ... ON CONFLICT DO
UPDATE`` ``executemany``.
"""
from __future__ import annotations

from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import sql_quote_text
from details.choices import DetailsSource, SyncStatus
from details.csv_rows import Rows
from details.models import CustomerDetails
from details.values import DATA_FIELDS

# Rows per multi-row statement are bounded by size, well under max_allowed_packet.
_MAX_STATEMENT_CHARS = 2_000_000


class Writer:
    """Upserts batches of converted rows."""

    def __init__(self, rows: Rows, dry_run: bool):
        self.rows = rows
        self.dry_run = dry_run
        qn = connection.ops.quote_name
        self.table = qn(CustomerDetails._meta.db_table)
        absent = [name for name in DATA_FIELDS if name not in set(rows.present)]
        defaults = {f.name: None if f.null else "" for f in CustomerDetails._meta.concrete_fields if f.name in DATA_FIELDS}
        # Column order: what varies per row first, constants last.
        self.insert_columns = [
            *rows.text_names, *(name for _, name, _ in rows.typed), "synced_at", "content_hash",
            *absent, "source", "sync_status", "sync_error", "created_at", "updated_at",
        ]
        update_columns = [*rows.present, "source", "sync_status", "sync_error", "synced_at", "content_hash", "updated_at"]
        columns = ", ".join(qn(c) for c in self.insert_columns)
        now = timezone.now().astimezone(UTC).replace(tzinfo=None)
        constants = [defaults[name] for name in absent] + [DetailsSource.CSV, SyncStatus.SYNCED, ""]
        if connection.vendor == "mysql":
            updates = ", ".join(f"{qn(c)} = VALUES({qn(c)})" for c in update_columns)
            self.prefix = f"INSERT INTO {self.table} ({columns}) VALUES "
            self.suffix = f" ON DUPLICATE KEY UPDATE {updates}"
            self.now_sql = "'" + now.isoformat(" ") + "'"
            self.constants_sql = "".join(
                ",NULL" if v is None else "," + sql_quote_text(str(v), no_backslash_escapes=rows.no_backslash_escapes) for v in constants
            ) + f",{self.now_sql},{self.now_sql})"
            self.params_sql = None
        elif connection.vendor in {"sqlite", "postgresql"}:
            updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in update_columns)
            placeholders = ", ".join(["%s"] * len(self.insert_columns))
            self.params_sql = f"INSERT INTO {self.table} ({columns}) VALUES ({placeholders}) ON CONFLICT ({qn('run_id')}) DO UPDATE SET {updates}"
            self.now = now.isoformat(" ")
            self.constants = [*constants, self.now, self.now]
        else:
            raise NotImplementedError(f"no upsert for database vendor {connection.vendor}")

    def stored_hashes(self, run_ids: list[str]) -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT run_id, content_hash FROM {self.table} WHERE run_id IN ({', '.join(['%s'] * len(run_ids))})", run_ids
            )
            return dict(cursor.fetchall())

    def table_is_empty(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {self.table} LIMIT 1")
            return cursor.fetchone() is None

    def row(self, converted, digest: str):
        """One row for the upsert: a ``(...)`` literal on MySQL, a parameter list elsewhere."""
        texts, typed, synced_at = converted
        if self.params_sql is None:
            rows = self.rows
            return (
                "(" + rows.sql_texts(texts) + ("," + ",".join(typed) if typed else "")
                + "," + (self.now_sql if synced_at is None or synced_at == "NULL" else synced_at)
                + ",'" + digest + "'" + self.constants_sql
            )
        return [*texts, *typed, synced_at or self.now, digest, *self.constants]

    def statements(self, rows: list[str]) -> list[str]:
        """The multi-row upserts (MySQL) for ``rows``, each under _MAX_STATEMENT_CHARS."""
        statements, chunk, size = [], [], 0
        for row in rows:
            if chunk and size + len(row) > _MAX_STATEMENT_CHARS:
                statements.append(self.prefix + ",".join(chunk) + self.suffix)
                chunk, size = [], 0
            chunk.append(row)
            size += len(row) + 1
        if chunk:
            statements.append(self.prefix + ",".join(chunk) + self.suffix)
        return statements

    def write(self, rows: list) -> None:
        """Write ``rows`` (from ``row``) in one transaction; raises DatabaseError."""
        if self.dry_run or not rows:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            if self.params_sql is not None:
                cursor.executemany(self.params_sql, rows)
                return
            for sql in self.statements(rows):
                cursor.execute(sql)

    def write_one(self, row) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if self.params_sql is not None:
                cursor.execute(self.params_sql, row)
            else:
                cursor.execute(self.prefix + row + self.suffix)

