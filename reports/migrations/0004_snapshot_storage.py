"""Placeholder for the snapshot storage change of issue 17 (replacing a date fast).

Filled in by the snapshot work; empty operations keep the chain linear meanwhile.
"""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_portfolio_summary"),
    ]

    operations: list = []
