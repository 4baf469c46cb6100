"""The ``unified_statements`` view (seed 000) and its unmanaged model.

One row per statement: metadata, its summary and the borrower context of its
statement request (``customer_details``, linked by the enrichment through
``metadata.customer_details_id``). Plain SQL that both MySQL/MariaDB and
SQLite accept (no ``CREATE OR REPLACE``, no backend-specific functions).

Text columns the statement or its request does not have are NULL, never '':
seed 000's analysts write ``cust_id IS NOT NULL`` to mean "linked to a
customer".

A later migration that drops or renames a column listed here must drop the
view first and create it again afterwards (MySQL freezes a view's columns
when it is created); ``statements.unified_view`` also drops the view
before ``migrate`` and creates it again afterwards, so table rebuilds (SQLite
remakes a table to alter a column) never trip over it.
"""
import django.db.models.deletion
from django.db import migrations, models

CREATE_VIEW = '''
CREATE VIEW unified_statements AS
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
'''
DROP_VIEW = "DROP VIEW IF EXISTS unified_statements"


class CreateViewUnlessDeferred(migrations.RunSQL):
    """RunSQL that leaves the view to the post_migrate handler when ``migrate``
    runs with it (``statements.unified_view``): a later migration in the same
    run that rebuilds ``metadata`` on SQLite would otherwise fail on the view."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if getattr(schema_editor.connection, "defer_unified_view", False):
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('statements', '0001_initial'),
        ('customers', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='UnifiedStatement',
            fields=[
                ('statement', models.OneToOneField(db_column='id', on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='+', serialize=False, to='statements.statement')),
                ('run_id', models.CharField(max_length=64)),
                ('acc_prvdr_code', models.CharField(choices=[('UATL', 'Airtel Money Uganda'), ('UMTN', 'MTN Mobile Money Uganda')], max_length=8)),
                ('acc_number', models.CharField(max_length=32)),
                ('alt_acc_num', models.CharField(max_length=32)),
                ('format', models.CharField(choices=[('uatl_pdf_1', 'Airtel PDF format 1'), ('uatl_pdf_2', 'Airtel PDF format 2'), ('uatl_csv_1', 'Airtel CSV format 1'), ('uatl_csv_2', 'Airtel CSV format 2'), ('umtn_xlsx', 'MTN Excel (xlsx)'), ('umtn_xls', 'MTN Excel (xls)'), ('umtn_csv', 'MTN CSV'), ('unknown', 'Unknown')], max_length=16)),
                ('pdf_format', models.PositiveSmallIntegerField(null=True)),
                ('file_name', models.CharField(max_length=255)),
                ('customer_name', models.CharField(max_length=300)),
                ('mobile_number', models.CharField(max_length=32)),
                ('statement_period', models.CharField(max_length=100)),
                ('period_start', models.DateField(null=True)),
                ('period_end', models.DateField(null=True)),
                ('request_date', models.DateField(null=True)),
                ('opening_balance', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('closing_balance', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('total_credit', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('total_debit', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('pdf_title', models.CharField(max_length=255)),
                ('pdf_author', models.CharField(max_length=255)),
                ('pdf_creator', models.CharField(max_length=255)),
                ('pdf_producer', models.CharField(max_length=255)),
                ('pdf_created_at', models.DateTimeField(null=True)),
                ('pdf_modified_at', models.DateTimeField(null=True)),
                ('page_count', models.PositiveIntegerField(null=True)),
                ('status', models.CharField(choices=[('IMPORT_FAILED', 'Import failed'), ('IMPORTED', 'Imported'), ('VERIFIED', 'Verified'), ('VERIFIED_WITH_WARNINGS', 'Verified with warnings'), ('FLAGGED', 'Flagged')], max_length=32)),
                ('failure_reason', models.TextField()),
                ('num_rows', models.PositiveIntegerField()),
                ('parsed_at', models.DateTimeField(null=True)),
                ('verified_at', models.DateTimeField(null=True)),
                ('created_at', models.DateTimeField()),
                ('import_job_id', models.BigIntegerField(null=True)),
                ('rm_name', models.CharField(help_text="Statement's RM, else the request's", max_length=300, null=True)),
                ('first_txn_date', models.DateTimeField(null=True)),
                ('last_txn_date', models.DateTimeField(null=True)),
                ('credits', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('debits', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('fees', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('opening_balance_stated', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('opening_balance_calculated', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('closing_balance_stated', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('closing_balance_calculated', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('duplicate_count', models.PositiveIntegerField(null=True)),
                ('quality_issues_count', models.PositiveIntegerField(null=True)),
                ('header_row_manipulation_count', models.PositiveIntegerField(null=True)),
                ('special_txn_count', models.PositiveIntegerField(null=True)),
                ('balance_match', models.CharField(choices=[('Success', 'Success'), ('Failed', 'Failed')], max_length=8, null=True)),
                ('balance_diff_changes', models.PositiveIntegerField(null=True)),
                ('balance_diff_change_ratio', models.DecimalField(decimal_places=6, max_digits=9, null=True)),
                ('missing_days_detected', models.BooleanField(null=True)),
                ('gap_related_balance_changes', models.PositiveIntegerField(null=True)),
                ('uses_implicit_ind02_commission', models.BooleanField(null=True)),
                ('uses_implicit_merchant_cashback', models.BooleanField(null=True)),
                ('verification_status', models.CharField(choices=[('PASS', 'Pass'), ('WARNING', 'Warning'), ('FAIL', 'Fail')], max_length=8, null=True)),
                ('verification_reason', models.TextField(null=True)),
                ('tampering_level', models.CharField(choices=[('NO_ISSUES', 'No issues'), ('WARNING', 'Warning'), ('CRITICAL', 'Critical'), ('FATAL', 'Fatal')], max_length=10, null=True)),
                ('tampering_reason', models.TextField(null=True)),
                ('customer_details_id', models.BigIntegerField(null=True)),
                ('cust_id', models.CharField(max_length=64, null=True)),
                ('final_entity_type', models.CharField(max_length=32, null=True)),
                ('final_entity_id', models.BigIntegerField(null=True)),
                ('lead_id', models.BigIntegerField(null=True)),
                ('lead_mobile', models.CharField(max_length=20, null=True)),
                ('lead_biz_name', models.CharField(max_length=300, null=True)),
                ('lead_first_name', models.CharField(max_length=100, null=True)),
                ('lead_last_name', models.CharField(max_length=100, null=True)),
                ('lead_location', models.CharField(max_length=200, null=True)),
                ('lead_territory', models.CharField(max_length=200, null=True)),
                ('lead_status', models.CharField(max_length=50, null=True)),
                ('lead_type', models.CharField(max_length=50, null=True)),
                ('lead_date', models.DateTimeField(null=True)),
                ('reassessment_id', models.BigIntegerField(null=True)),
                ('reassessment_status', models.CharField(max_length=50, null=True)),
                ('reassessment_type', models.CharField(max_length=50, null=True)),
                ('borrower_id', models.BigIntegerField(null=True)),
                ('borrower_biz_name', models.CharField(max_length=300, null=True)),
                ('borrower_reg_date', models.DateField(null=True)),
                ('tot_loans', models.IntegerField(null=True)),
                ('tot_default_loans', models.IntegerField(null=True)),
                ('current_fa_limit', models.DecimalField(decimal_places=2, max_digits=16, null=True)),
                ('previous_fa_limit', models.DecimalField(decimal_places=2, max_digits=16, null=True)),
                ('borrower_kyc_status', models.CharField(max_length=50, null=True)),
                ('borrower_activity_status', models.CharField(max_length=50, null=True)),
                ('borrower_profile_status', models.CharField(max_length=50, null=True)),
                ('borrower_fa_status', models.CharField(max_length=50, null=True)),
                ('borrower_status', models.CharField(max_length=50, null=True)),
                ('risk_category', models.CharField(max_length=50, null=True)),
                ('registered_rm_name', models.CharField(max_length=300, null=True)),
                ('current_rm_name', models.CharField(max_length=300, null=True)),
                ('account_holder_name', models.CharField(max_length=300, null=True)),
                ('acc_ownership', models.CharField(max_length=50, null=True)),
            ],
            options={
                'verbose_name': 'unified statement',
                'db_table': 'unified_statements',
                'ordering': ['-created_at', '-statement_id'],
                'managed': False,
            },
        ),
        CreateViewUnlessDeferred(sql=[DROP_VIEW, CREATE_VIEW], reverse_sql=[DROP_VIEW]),
    ]
