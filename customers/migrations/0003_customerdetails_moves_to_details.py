"""CustomerDetails now lives in the ``details`` app (``details.0001``): it
leaves customers' state. Its table, rows and foreign keys stay as they are."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0002_customerdetails_content_hash"),
        ("details", "0001_initial"),
        # The last foreign key to the old model is re-pointed there first.
        ("statements", "0004_statement_customer_details_in_details_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CustomerDetails")],
            database_operations=[],
        ),
    ]
