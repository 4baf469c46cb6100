# Admin exports need a permission of their own (issue 13).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('debts', '0003_alter_payment_options_and_more'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='debt',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('settle_debt', 'Can settle a debt for less than its balance'), ('write_off_debt', 'Can write off a debt'), ('export_debt', 'Can export debts')]},
        ),
        migrations.AlterModelOptions(
            name='payment',
            options={'ordering': ['-payment_date', '-id'], 'permissions': [('refund_payment', 'Can refund a completed payment'), ('export_payment', 'Can export payments')]},
        ),
    ]
