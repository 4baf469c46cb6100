"""Enriched statements are written with one UPDATE ... JOIN per 1,000 on
MySQL/MariaDB: every field lands as bulk_update would have written it."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customers.models import Customer
from statements.enrichment import ENRICHED_FIELDS, _statements_update, statements_enrich_many
from statements.models import Statement


@pytest.mark.django_db
def test_update_writes_every_field_of_every_row():
    customer = Customer.objects.create(full_name="Okoth James", primary_phone="+256706015809")
    statements = [Statement.objects.create(run_id=f"r{i}", acc_prvdr_code="UATL", file_name=f"r{i}.pdf") for i in range(3)]
    when = datetime(2025, 10, 1, 9, 15, 30, 123456, tzinfo=UTC)
    statements[0].customer_id, statements[0].cust_id, statements[0].rm_name = customer.pk, "UFLW-1", "O'Brien \\ Grace"
    statements[0].enriched_at = statements[0].updated_at = when
    statements[1].customer_id, statements[1].cust_id, statements[1].rm_name = None, "", ""
    statements[1].enriched_at, statements[1].updated_at = None, when + timedelta(days=1)
    statements[2].cust_id, statements[2].rm_name = "ünïcødé", "Peter Okello"
    statements[2].enriched_at = statements[2].updated_at = when - timedelta(days=400)
    _statements_update(statements)
    for expected in statements:
        stored = Statement.objects.get(pk=expected.pk)
        for name in ENRICHED_FIELDS:
            attname = Statement._meta.get_field(name).attname
            assert getattr(stored, attname) == getattr(expected, attname), (expected.run_id, name)


@pytest.mark.django_db(databases=["default", "flow_api"])
def test_batches_beyond_one_statement_of_1000(flow_api):
    run_ids = ["run-direct-lead", "run-cs-reassess", "run-no-cust", "run-unknown"]
    Statement.objects.bulk_create(
        [Statement(run_id=run_ids[i % 4], acc_prvdr_code="UATL", file_name=f"{i}.pdf") for i in range(1203)]
    )
    summary = statements_enrich_many(batch_size=1500)
    assert summary.changed == 903 and summary.unknown == 300
    assert Statement.objects.filter(run_id="run-direct-lead", cust_id="UFLW-706015809").count() == 301
    assert Statement.objects.filter(run_id="run-cs-reassess", rm_name="Grace Nakato Akello").exclude(enriched_at=None).count() == 301
    assert not Statement.objects.filter(run_id="run-unknown").exclude(enriched_at=None).exists()
    assert len(set(Statement.objects.exclude(enriched_at=None).values_list("enriched_at", flat=True))) == 1
