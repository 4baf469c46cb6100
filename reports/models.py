"""Portfolio history for the reports: one row per debt per snapshot date."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from reports.choices import Bucket

MONEY = {"max_digits": 16, "decimal_places": 2}


class PortfolioSnapshot(models.Model):
    """A debt as it stood on ``snapshot_date`` (written only by
    ``reports.services.portfolio_snapshot_take``, set-based).

    The key is (snapshot_date, debt): InnoDB keeps the rows clustered by it,
    so a report reading one date reads one contiguous range. No foreign-key
    constraints: a million rows a day go in with one INSERT … SELECT per
    chunk, and debts are never deleted (``debts.services.debt_check_deletable``).
    ``prev_bucket`` is the debt's bucket on the previous month's last
    snapshot ("" when it had none): the roll-rate transition, stored so the
    report needs no self-join of millions of rows. On MariaDB the table is
    LIST-partitioned by ``snapshot_date``, a partition per date (migration
    0004), so a date is replaced by swapping one partition.
    """

    pk = models.CompositePrimaryKey("snapshot_date", "debt")
    snapshot_date = models.DateField()
    # No index of its own: the key (snapshot_date, debt) serves every lookup.
    debt = models.ForeignKey("debts.Debt", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    branch = models.CharField(max_length=200, blank=True)
    employee_id = models.CharField(max_length=50, blank=True)
    employee_name = models.CharField(max_length=200, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    status = models.CharField(max_length=16)
    days_past_due = models.PositiveIntegerField(default=0)
    bucket = models.CharField(max_length=12, choices=Bucket.choices)
    prev_bucket = models.CharField(max_length=12, choices=Bucket.choices, blank=True)
    balance = models.DecimalField(**MONEY)
    due_amount = models.DecimalField(**MONEY, null=True, blank=True)
    principal = models.DecimalField(**MONEY, help_text="The debt's original amount")
    issue_date = models.DateField(null=True, blank=True)
    disbursement_month = models.DateField(null=True, blank=True, help_text="First day of the issue date's month")
    months_on_book = models.SmallIntegerField(null=True, blank=True, help_text="Calendar months from disbursement to the snapshot")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "portfolio_snapshots"
        ordering = ["snapshot_date", "debt_id"]
        indexes = [
            # The branch / employee filters narrow a date before its scan.
            models.Index(fields=["snapshot_date", "branch"], name="snap_date_branch"),
            models.Index(fields=["snapshot_date", "employee_id"], name="snap_date_employee"),
        ]
        permissions = [("view_reports", "Can view portfolio reports (pages, API, Excel)")]

    def __str__(self):
        return f"Debt {self.debt_id} on {self.snapshot_date}: {self.bucket} {self.balance}"


class PortfolioSummary(models.Model):
    """The snapshot of a date, summed: one row per (branch, employee,
    assignee, bucket, previous bucket, disbursement month) with how many
    debts and their balance, principal and amount due. Written with the
    snapshot (``portfolio_snapshot_take``), in the same transaction.

    The reports built on snapshots (aging, roll rates, vintages, the amount
    due of collection efficiency) read these rows: a month's book is a few
    thousand to a hundred thousand rows here, against a million debts."""

    snapshot_date = models.DateField()
    branch = models.CharField(max_length=200, blank=True)
    employee_id = models.CharField(max_length=50, blank=True)
    employee_name = models.CharField(max_length=200, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    bucket = models.CharField(max_length=12, choices=Bucket.choices)
    prev_bucket = models.CharField(max_length=12, choices=Bucket.choices, blank=True)
    disbursement_month = models.DateField(null=True, blank=True)
    debt_count = models.PositiveIntegerField()
    balance = models.DecimalField(max_digits=20, decimal_places=2)
    principal = models.DecimalField(max_digits=20, decimal_places=2)
    amount_due = models.DecimalField(max_digits=20, decimal_places=2, help_text="Due amount, else the balance")

    class Meta:
        db_table = "portfolio_summaries"
        ordering = ["snapshot_date", "id"]
        verbose_name_plural = "portfolio summaries"
        indexes = [models.Index(fields=["snapshot_date", "branch", "employee_id"], name="summary_date_branch_emp")]

    def __str__(self):
        return f"{self.snapshot_date} {self.branch} {self.bucket}: {self.debt_count}"


class PortfolioSnapshotRow(models.Model):
    """The admin's read-only window on ``portfolio_snapshots`` (the same
    table as ``PortfolioSnapshot``, not managed by migrations).

    Django 5.2's admin refuses a model with a composite primary key, so this
    one names the debt as its key. That key is NOT unique across dates: use
    this model only for the admin's list, never to fetch one row."""

    snapshot_date = models.DateField()
    debt_id = models.IntegerField(primary_key=True, verbose_name="debt")
    branch = models.CharField(max_length=200, blank=True)
    employee_id = models.CharField(max_length=50, blank=True)
    employee_name = models.CharField(max_length=200, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    status = models.CharField(max_length=16)
    days_past_due = models.PositiveIntegerField(default=0)
    bucket = models.CharField(max_length=12, choices=Bucket.choices)
    prev_bucket = models.CharField(max_length=12, choices=Bucket.choices, blank=True)
    balance = models.DecimalField(**MONEY)
    due_amount = models.DecimalField(**MONEY, null=True, blank=True)
    principal = models.DecimalField(**MONEY)
    issue_date = models.DateField(null=True, blank=True)
    disbursement_month = models.DateField(null=True, blank=True)
    months_on_book = models.SmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "portfolio_snapshots"
        ordering = ["-snapshot_date", "debt_id"]
        default_permissions = ()
        verbose_name = "portfolio snapshot row"

    def __str__(self):
        return f"Debt {self.debt_id} on {self.snapshot_date}: {self.bucket} {self.balance}"


class CollectionDay(models.Model):
    """One day's completed payments, attributed to one snapshot, have been
    summed into ``CollectionSummary`` rows (written only by
    ``reports.services.collection_summary_refresh``).

    A day's payments are attributed to each snapshot a report reads them
    against: the opening snapshot of the week, month and quarter holding the
    day (collection efficiency) and the last snapshot on or before the day
    (the agents report); ``reports.collected`` says which. A day with no
    payments has this row and no summary rows. ``snapshot_taken_at`` is when
    the opening snapshot was written: a date taken again no longer matches, and
    its sums are not read until they are rebuilt."""

    pk = models.CompositePrimaryKey("opening_date", "pay_date")
    opening_date = models.DateField()
    pay_date = models.DateField(help_text="The payments' day (payment_date in TIME_ZONE)")
    snapshot_taken_at = models.DateTimeField()
    built_at = models.DateTimeField()

    class Meta:
        db_table = "collection_days"
        ordering = ["opening_date", "pay_date"]

    def __str__(self):
        return f"Payments of {self.pay_date} on the snapshot of {self.opening_date}"


class CollectionSummary(models.Model):
    """Completed payments of one day on the debts of one snapshot, summed by
    the snapshot's branch, employee and assignee (see ``CollectionDay``)."""

    opening_date = models.DateField()
    pay_date = models.DateField()
    branch = models.CharField(max_length=200, blank=True)
    employee_id = models.CharField(max_length=50, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    payments = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        db_table = "collection_summaries"
        ordering = ["opening_date", "pay_date", "id"]
        indexes = [models.Index(fields=["opening_date", "pay_date"], name="collsum_opening_day")]

    def __str__(self):
        return f"{self.pay_date} on {self.opening_date} {self.branch}: {self.amount}"


class CollectionRefresh(models.Model):
    """One run of ``collection_summary_refresh``: when it started (the sums
    it leaves are exact for every payment change saved up to then, less
    ``reports.collected.CHANGE_MARGIN``), what it rebuilt and how long it took."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    changed_days = models.PositiveIntegerField(default=0, help_text="Days with a payment saved since the previous run")
    days_built = models.PositiveIntegerField(default=0, help_text="(snapshot, day) pairs summed or summed again")
    days_dropped = models.PositiveIntegerField(default=0, help_text="Pairs whose snapshot date no longer exists")
    seconds = models.FloatField(default=0)

    class Meta:
        db_table = "collection_refreshes"
        ordering = ["-started_at"]

    def __str__(self):
        return f"Collections summary refresh of {self.started_at:%Y-%m-%d %H:%M}"
