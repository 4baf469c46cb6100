"""The ``unified_statements`` database view (seed 000): its current definition
and the ``migrate`` hooks that keep it in step with the tables under it.

The view is created by migration ``0002_unified_statements_view`` and
redefined by ``0013_unified_view_counterparties`` (taxes, risk score, top
counterparties). Around
every ``migrate`` it is dropped first (pre_migrate) and created again from
the definition below at the end (post_migrate), because:

- SQLite rebuilds a table to alter one of its columns, and the rename at the
  end of that rebuild fails while a view refers to the table;
- MySQL freezes a view's column list when it is created, so a migration that
  drops or renames a column under it would leave it invalid.

When a column is added to the view, change ``CREATE_VIEW_SQL`` here and
in a new migration (so a database migrated without the hooks matches).
"""
from __future__ import annotations

import importlib

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

VIEW_NAME = "unified_statements"
MIGRATION = ("statements", "0002_unified_statements_view")  # applied: the view exists
DROP_VIEW_SQL = f"DROP VIEW IF EXISTS {VIEW_NAME}"
CREATE_VIEW_SQL = """CREATE VIEW unified_statements AS
SELECT
    m.id,
    m.run_id,
    m.acc_prvdr_code,
    m.acc_number,
    m.alt_acc_num,
    m.format,
    m.pdf_format,
    m.file_name,
    m.customer_name,
    m.mobile_number,
    m.statement_period,
    m.period_start,
    m.period_end,
    m.request_date,
    m.opening_balance,
    m.closing_balance,
    m.total_credit,
    m.total_debit,
    m.pdf_title,
    m.pdf_author,
    m.pdf_creator,
    m.pdf_producer,
    m.pdf_created_at,
    m.pdf_modified_at,
    m.page_count,
    m.status,
    m.failure_reason,
    m.num_rows,
    m.parsed_at,
    m.verified_at,
    m.created_at,
    m.import_job_id,
    COALESCE(NULLIF(m.rm_name, ''), NULLIF(cd.rm_name, '')) AS rm_name,
    s.first_txn_date,
    s.last_txn_date,
    s.credits,
    s.debits,
    s.fees,
    s.opening_balance_stated,
    s.opening_balance_calculated,
    s.closing_balance_stated,
    s.closing_balance_calculated,
    s.duplicate_count,
    s.quality_issues_count,
    s.header_row_manipulation_count,
    s.special_txn_count,
    s.missing_days_detected,
    s.gap_related_balance_changes,
    s.balance_diff_changes,
    s.balance_diff_change_ratio,
    s.uses_implicit_ind02_commission,
    s.uses_implicit_merchant_cashback,
    NULLIF(s.balance_match, '') AS balance_match,
    NULLIF(s.verification_status, '') AS verification_status,
    NULLIF(s.verification_reason, '') AS verification_reason,
    NULLIF(s.tampering_level, '') AS tampering_level,
    NULLIF(s.tampering_reason, '') AS tampering_reason,
    s.taxes,
    s.risk_score,
    NULLIF(s.top_payer_number, '') AS top_payer_number,
    NULLIF(s.top_payer_name, '') AS top_payer_name,
    s.top_payer_amount,
    NULLIF(s.top_payee_number, '') AS top_payee_number,
    NULLIF(s.top_payee_name, '') AS top_payee_name,
    s.top_payee_amount,
    cd.id AS customer_details_id,
    COALESCE(NULLIF(m.cust_id, ''), NULLIF(cd.cust_id, '')) AS cust_id,
    cd.final_entity_id,
    cd.lead_id,
    cd.lead_date,
    cd.reassessment_id,
    cd.borrower_id,
    cd.borrower_reg_date,
    cd.tot_loans,
    cd.tot_default_loans,
    cd.current_fa_limit,
    cd.previous_fa_limit,
    NULLIF(cd.final_entity_type, '') AS final_entity_type,
    NULLIF(cd.lead_mobile, '') AS lead_mobile,
    NULLIF(cd.lead_biz_name, '') AS lead_biz_name,
    NULLIF(cd.lead_first_name, '') AS lead_first_name,
    NULLIF(cd.lead_last_name, '') AS lead_last_name,
    NULLIF(cd.lead_location, '') AS lead_location,
    NULLIF(cd.lead_territory, '') AS lead_territory,
    NULLIF(cd.lead_status, '') AS lead_status,
    NULLIF(cd.lead_type, '') AS lead_type,
    NULLIF(cd.reassessment_status, '') AS reassessment_status,
    NULLIF(cd.reassessment_type, '') AS reassessment_type,
    NULLIF(cd.borrower_biz_name, '') AS borrower_biz_name,
    NULLIF(cd.borrower_kyc_status, '') AS borrower_kyc_status,
    NULLIF(cd.borrower_activity_status, '') AS borrower_activity_status,
    NULLIF(cd.borrower_profile_status, '') AS borrower_profile_status,
    NULLIF(cd.borrower_fa_status, '') AS borrower_fa_status,
    NULLIF(cd.borrower_status, '') AS borrower_status,
    NULLIF(cd.risk_category, '') AS risk_category,
    NULLIF(cd.registered_rm_name, '') AS registered_rm_name,
    NULLIF(cd.current_rm_name, '') AS current_rm_name,
    NULLIF(cd.account_holder_name, '') AS account_holder_name,
    NULLIF(cd.acc_ownership, '') AS acc_ownership
FROM metadata m
LEFT JOIN summary s ON s.statement_id = m.id
LEFT JOIN customer_details cd ON cd.id = m.customer_details_id
"""


# The migrations that (re)defined the view, newest first: after ``migrate``
# the view is the newest applied one's, so migrating back below 0013 gives
# back 0002's view (the current one names columns 0013 adds).
VIEW_MIGRATIONS = (("statements", "0013_unified_view_counterparties"), MIGRATION)


def _view_sql(applied: set) -> str | None:
    for migration in VIEW_MIGRATIONS:
        if migration in applied:
            if migration == VIEW_MIGRATIONS[0]:
                return CREATE_VIEW_SQL
            return importlib.import_module(f"statements.migrations.{migration[1]}").CREATE_VIEW
    return None


def view_create(*, using: str = "default") -> None:
    """Drop and create the view with the current definition."""
    with connections[using].cursor() as cursor:
        cursor.execute(DROP_VIEW_SQL)
        cursor.execute(CREATE_VIEW_SQL)


def _applied(connection) -> set:
    recorder = MigrationRecorder(connection)
    return set(recorder.applied_migrations()) if recorder.has_table() else set()


def before_migrate(sender, using="default", **kwargs) -> None:
    connection = connections[using]
    if connection.alias != "default":
        return
    with connection.cursor() as cursor:
        cursor.execute(DROP_VIEW_SQL)
    # Read by the migration's CreateViewUnlessDeferred: the view is created
    # once, after the last migration of this run.
    connection.defer_unified_view = True


def after_migrate(sender, using="default", **kwargs) -> None:
    connection = connections[using]
    if connection.alias != "default":
        return
    connection.defer_unified_view = False
    # Migrated back below 0002: the view must stay gone.
    sql = _view_sql(_applied(connection))
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(DROP_VIEW_SQL)
            cursor.execute(sql)
