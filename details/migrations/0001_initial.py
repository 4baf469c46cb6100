"""CustomerDetails moves from ``customers`` to ``details``: Django's state
only. The table keeps its name (``customer_details``) and its rows, so no
SQL runs; ``customers.0003`` removes the model from ``customers``' state
once ``statements.0004`` has re-pointed its foreign key here.

The content type (and with it the model's permissions and whoever holds
them) is renamed to this app rather than created afresh.
"""
import django.db.models.deletion
from django.db import migrations, models

import core.fields


def _move_content_type(app_from: str, app_to: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        types = ContentType.objects.using(db)
        # A fresh database has no content types yet (they are created after
        # migrate); one that already has the target keeps it.
        if not types.filter(app_label=app_to, model="customerdetails").exists():
            types.filter(app_label=app_from, model="customerdetails").update(app_label=app_to)

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_customerdetails_content_hash"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CustomerDetails',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('run_id', models.CharField(help_text='flow_req_id of the statement request', max_length=64, unique=True)),
                        ('stmt_request_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('acc_number', models.CharField(blank=True, db_index=True, max_length=32)),
                        ('alt_acc_num', models.CharField(blank=True, max_length=32)),
                        ('acc_prvdr_code', models.CharField(blank=True, choices=[('UATL', 'Airtel Money Uganda'), ('UMTN', 'MTN Mobile Money Uganda')], db_index=True, max_length=8)),
                        ('request_status', models.CharField(blank=True, max_length=50)),
                        ('object_key', models.CharField(blank=True, max_length=255)),
                        ('lambda_status', models.CharField(blank=True, max_length=50)),
                        ('request_created_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by_rm_id', models.BigIntegerField(blank=True, null=True)),
                        ('rm_name', models.CharField(blank=True, help_text='RM who created the request', max_length=300)),
                        ('direct_entity_type', models.CharField(blank=True, choices=[('lead', 'Lead'), ('reassessment_result', 'Reassessment result'), ('customer_statement', 'Customer statement')], db_index=True, max_length=32)),
                        ('direct_entity_id', models.BigIntegerField(blank=True, null=True)),
                        ('customer_statement_id', models.BigIntegerField(blank=True, null=True)),
                        ('final_entity_type', models.CharField(blank=True, choices=[('lead', 'Lead'), ('reassessment_result', 'Reassessment result'), ('customer_statement', 'Customer statement')], db_index=True, max_length=32)),
                        ('final_entity_id', models.BigIntegerField(blank=True, null=True)),
                        ('cust_id', models.CharField(blank=True, db_index=True, max_length=64)),
                        ('account_holder_name', models.CharField(blank=True, max_length=300)),
                        ('acc_ownership', models.CharField(blank=True, max_length=50)),
                        ('distributor_code', models.CharField(blank=True, max_length=64)),
                        ('cs_status', models.CharField(blank=True, max_length=50)),
                        ('cs_result', models.CharField(blank=True, max_length=50)),
                        ('cs_score', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True)),
                        ('cs_limit', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                        ('cs_prev_limit', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                        ('cs_assessment_date', models.DateTimeField(blank=True, null=True)),
                        ('lead_id', models.BigIntegerField(blank=True, null=True)),
                        ('lead_mobile', models.CharField(blank=True, max_length=20)),
                        ('lead_biz_name', models.CharField(blank=True, max_length=300)),
                        ('lead_first_name', models.CharField(blank=True, max_length=100)),
                        ('lead_last_name', models.CharField(blank=True, max_length=100)),
                        ('lead_id_proof_num', core.fields.EncryptedTextField(blank=True, default='')),
                        ('lead_national_id', core.fields.EncryptedTextField(blank=True, default='')),
                        ('lead_location', models.CharField(blank=True, max_length=200)),
                        ('lead_territory', models.CharField(blank=True, max_length=200)),
                        ('lead_status', models.CharField(blank=True, max_length=50)),
                        ('lead_profile_status', models.CharField(blank=True, max_length=50)),
                        ('lead_score_status', models.CharField(blank=True, max_length=50)),
                        ('lead_type', models.CharField(blank=True, max_length=50)),
                        ('lead_date', models.DateTimeField(blank=True, null=True)),
                        ('lead_assessment_date', models.DateTimeField(blank=True, null=True)),
                        ('lead_onboarded_date', models.DateTimeField(blank=True, null=True)),
                        ('reassessment_id', models.BigIntegerField(blank=True, null=True)),
                        ('reassessment_prev_limit', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                        ('reassessment_status', models.CharField(blank=True, max_length=50)),
                        ('reassessment_type', models.CharField(blank=True, max_length=50)),
                        ('reassessment_created_at', models.DateTimeField(blank=True, null=True)),
                        ('borrower_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('borrower_biz_name', models.CharField(blank=True, max_length=300)),
                        ('borrower_reg_date', models.DateField(blank=True, null=True)),
                        ('tot_loans', models.IntegerField(blank=True, null=True)),
                        ('tot_default_loans', models.IntegerField(blank=True, null=True)),
                        ('current_fa_limit', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                        ('previous_fa_limit', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True)),
                        ('borrower_last_assessment_date', models.DateTimeField(blank=True, null=True)),
                        ('borrower_kyc_status', models.CharField(blank=True, max_length=50)),
                        ('borrower_activity_status', models.CharField(blank=True, max_length=50)),
                        ('borrower_profile_status', models.CharField(blank=True, max_length=50)),
                        ('borrower_fa_status', models.CharField(blank=True, max_length=50)),
                        ('borrower_status', models.CharField(blank=True, db_index=True, max_length=50)),
                        ('risk_category', models.CharField(blank=True, db_index=True, max_length=50)),
                        ('registered_rm_id', models.BigIntegerField(blank=True, null=True)),
                        ('registered_rm_name', models.CharField(blank=True, max_length=300)),
                        ('current_rm_id', models.BigIntegerField(blank=True, null=True)),
                        ('current_rm_name', models.CharField(blank=True, db_index=True, max_length=300)),
                        ('source', models.CharField(choices=[('csv', 'CSV export'), ('core_db', 'Core lending database'), ('mapper', 'mapper.csv'), ('manual', 'Entered by staff')], db_index=True, default='csv', max_length=16)),
                        ('sync_status', models.CharField(choices=[('synced', 'Synced'), ('pending', 'Pending (core database unreachable)'), ('not_found', 'Unknown run_id')], db_index=True, default='synced', max_length=16)),
                        ('synced_at', models.DateTimeField(blank=True, null=True)),
                        ('sync_error', models.TextField(blank=True)),
                        ('content_hash', models.CharField(blank=True, editable=False, help_text='SHA-256 of the values last imported', max_length=64)),
                        ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='details', to='customers.customer')),
                        ('relationship_manager', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='customer_details', to='customers.relationshipmanager')),
                    ],
                    options={
                        'verbose_name': 'customer details',
                        'verbose_name_plural': 'customer details',
                        'db_table': 'customer_details',
                        'ordering': ['-request_created_at', '-id'],
                        'indexes': [models.Index(fields=['acc_prvdr_code', 'acc_number'], name='custdetails_provider_acc')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_move_content_type("customers", "details"), _move_content_type("details", "customers")),
    ]
