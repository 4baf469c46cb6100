"""Snapshot storage for replacing a date fast (issue 17).

On MariaDB ``portfolio_snapshots`` becomes LIST-partitioned by
``snapshot_date``: one partition per date already there, plus a DEFAULT
partition (``p_default``). ``reports.services.snapshots`` gives every date it
writes its own partition and swaps the date's rows in with EXCHANGE
PARTITION instead of deleting a million rows. The primary key
(snapshot_date, debt) already holds the partition column, as MariaDB
requires of every unique key. Partitioning an existing table copies it once
(minutes for tens of millions of rows). Other databases (SQLite) keep a
plain table.

Also the state of ``PortfolioSnapshotRow``, the admin's unmanaged window on
the same table (no schema change).
"""
from django.db import migrations, models

TABLE = "portfolio_snapshots"


def _partitioned(cursor) -> bool:
    cursor.execute(
        "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
        " AND PARTITION_NAME IS NOT NULL",
        [TABLE],
    )
    return cursor.fetchone()[0] > 0


def partition(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "mysql":
        return
    with connection.cursor() as cursor:
        if _partitioned(cursor):
            return
        cursor.execute(f"SELECT DISTINCT snapshot_date FROM {TABLE} ORDER BY snapshot_date")
        days = [row[0] for row in cursor.fetchall()]
        parts = [f"PARTITION p{day:%Y%m%d} VALUES IN ('{day.isoformat()}')" for day in days]
        parts.append("PARTITION p_default DEFAULT")
        cursor.execute(f"ALTER TABLE {TABLE} PARTITION BY LIST COLUMNS(snapshot_date) ({', '.join(parts)})")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "mysql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _partitioned(cursor):
            cursor.execute(f"ALTER TABLE {TABLE} REMOVE PARTITIONING")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_portfolio_summary"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
        migrations.AlterModelOptions(
            name="portfoliosummary",
            options={"ordering": ["snapshot_date", "id"], "verbose_name_plural": "portfolio summaries"},
        ),
        migrations.CreateModel(
            name="PortfolioSnapshotRow",
            fields=[
                ("snapshot_date", models.DateField()),
                ("debt_id", models.IntegerField(primary_key=True, serialize=False, verbose_name="debt")),
                ("branch", models.CharField(blank=True, max_length=200)),
                ("employee_id", models.CharField(blank=True, max_length=50)),
                ("employee_name", models.CharField(blank=True, max_length=200)),
                ("status", models.CharField(max_length=16)),
                ("days_past_due", models.PositiveIntegerField(default=0)),
                ("bucket", models.CharField(choices=[("current", "Current"), ("d1_30", "1–30"), ("d31_60", "31–60"), ("d61_90", "61–90"), ("d90_plus", "90+"), ("closed", "Closed (paid off / settled)"), ("written_off", "Written off")], max_length=12)),
                ("prev_bucket", models.CharField(blank=True, choices=[("current", "Current"), ("d1_30", "1–30"), ("d31_60", "31–60"), ("d61_90", "61–90"), ("d90_plus", "90+"), ("closed", "Closed (paid off / settled)"), ("written_off", "Written off")], max_length=12)),
                ("balance", models.DecimalField(decimal_places=2, max_digits=16)),
                ("due_amount", models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                ("principal", models.DecimalField(decimal_places=2, max_digits=16)),
                ("issue_date", models.DateField(blank=True, null=True)),
                ("disbursement_month", models.DateField(blank=True, null=True)),
                ("months_on_book", models.SmallIntegerField(blank=True, null=True)),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "portfolio snapshot row",
                "db_table": "portfolio_snapshots",
                "ordering": ["-snapshot_date", "debt_id"],
                "managed": False,
                "default_permissions": (),
            },
        ),
    ]
