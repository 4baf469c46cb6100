"""Statement.customer_details points at ``details.CustomerDetails`` (the same
``customer_details`` table, moved between apps in Django's state only)."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("details", "0001_initial"),
        ("statements", "0003_statement_acc_number_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="statement",
                    name="customer_details",
                    field=models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="statements",
                        to="details.customerdetails",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
