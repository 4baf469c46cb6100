"""import_mapper: mapper.csv (seed 004's statement requests) loaded into customer details."""
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from details.choices import DetailsSource
from details.models import CustomerDetails

pytestmark = pytest.mark.django_db
MAPPER = Path(__file__).resolve().parents[2] / "fixtures" / "mapper.csv"


def test_import_mapper_loads_requests_and_keeps_better_sources(tmp_path):
    CustomerDetails.objects.create(run_id="run-direct-lead", source=DetailsSource.CSV, borrower_biz_name="From the CSV export", rm_name="CSV RM")
    call_command("import_mapper", str(MAPPER), stdout=open(os.devnull, "w"))
    row = CustomerDetails.objects.get(run_id="68babf7f23139")
    assert (row.source, row.acc_number, row.acc_prvdr_code, row.rm_name, row.created_by_rm_id) == (
        DetailsSource.MAPPER, "256706015809", "UMTN", "EBRAN BRIGHT", 9252)
    assert timezone.localtime(row.request_created_at).date().isoformat() == "2023-05-31"  # Kampala midnight
    kept = CustomerDetails.objects.get(run_id="run-direct-lead")
    assert (kept.source, kept.rm_name) == (DetailsSource.CSV, "CSV RM")
    before = CustomerDetails.objects.get(run_id="run-mapper-only").updated_at
    out = StringIO()
    call_command("import_mapper", str(MAPPER), stdout=out)
    assert "0 new" in out.getvalue() and "2 unchanged" in out.getvalue()
    assert CustomerDetails.objects.get(run_id="run-mapper-only").updated_at == before


def test_import_mapper_names_a_file_without_run_id(tmp_path):
    bad = tmp_path / "mapper.csv"
    bad.write_text("acc_number,rm_name\n256706015809,X\n")
    with pytest.raises(CommandError, match="run_id"):
        call_command("import_mapper", str(bad))
