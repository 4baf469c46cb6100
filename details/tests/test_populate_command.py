"""populate_customer_details: the CSV backfill of seed 000."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from details.choices import DetailsSource, SyncStatus
from details.models import CustomerDetails

from .conftest import FIXTURES

SAMPLE = FIXTURES / "customer_details" / "customer_details_sample.csv"
pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("populate_customer_details", *args, stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def rewrite(path: Path, change) -> Path:
    rows = list(csv.DictReader(SAMPLE.open()))
    header = list(rows[0])
    header, rows = change(header, rows) or (header, rows)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_loads_every_row_with_types_and_nulls():
    out, _ = run("--csv-file", str(SAMPLE))
    assert CustomerDetails.objects.count() == 10
    assert "inserted 10" in out
    first = CustomerDetails.objects.get(run_id="0068e00000000")
    assert first.source == DetailsSource.CSV and first.sync_status == SyncStatus.SYNCED
    assert first.borrower_id == 700000 and isinstance(first.current_fa_limit, Decimal)
    assert isinstance(first.borrower_reg_date, date)
    # Naive times in the export are Kampala time (UTC+3).
    assert first.request_created_at == datetime(2024, 6, 5, 5, 7, tzinfo=UTC)
    assert first.synced_at == datetime(2025, 10, 17, 5, 0, tzinfo=UTC)
    no_borrower = CustomerDetails.objects.get(run_id="0068e00000003")
    assert no_borrower.borrower_id is None and no_borrower.tot_loans is None and no_borrower.current_fa_limit is None
    assert no_borrower.risk_category == ""  # NaN in a text column: empty, never the text "NaN"
    pandas_int = CustomerDetails.objects.get(run_id="0068e00000004")
    assert pandas_int.tot_loans == 12 and pandas_int.reassessment_prev_limit is None and pandas_int.lead_onboarded_date is None
    assert CustomerDetails.objects.get(run_id="0068e00000005").cust_id == ""


def test_personal_columns_are_encrypted_at_rest():
    run("--csv-file", str(SAMPLE))
    details = CustomerDetails.objects.get(run_id="0068e00000000")
    assert details.lead_national_id.startswith("CM")
    with connection.cursor() as cursor:
        cursor.execute("SELECT lead_national_id, lead_id_proof_num FROM customer_details WHERE run_id = %s", ["0068e00000000"])
        stored = cursor.fetchone()
    assert details.lead_national_id not in stored[0] and stored[0].startswith("gAAAA")
    assert details.lead_id_proof_num not in stored[1]


def test_rerun_changes_nothing_and_duplicates_nothing():
    run("--csv-file", str(SAMPLE))
    before = {d.run_id: (d.updated_at, d.content_hash) for d in CustomerDetails.objects.all()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT run_id, lead_national_id FROM customer_details")
        ciphertexts = dict(cursor.fetchall())
    out, _ = run("--csv-file", str(SAMPLE))
    assert "inserted 0" in out and "updated 0" in out and "unchanged 10" in out
    assert CustomerDetails.objects.count() == 10
    assert {d.run_id: (d.updated_at, d.content_hash) for d in CustomerDetails.objects.all()} == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT run_id, lead_national_id FROM customer_details")
        assert dict(cursor.fetchall()) == ciphertexts


def test_changed_row_is_updated_others_untouched(tmp_path):
    run("--csv-file", str(SAMPLE))

    def change(header, rows):
        rows[2]["risk_category"] = "high_risk"
        rows[2]["tot_default_loans"] = "7"

    out, _ = run("--csv-file", str(rewrite(tmp_path / "export.csv", change)))
    assert "inserted 0" in out and "updated 1" in out and "unchanged 9" in out
    changed = CustomerDetails.objects.get(run_id="0068e00000002")
    assert (changed.risk_category, changed.tot_default_loans) == ("high_risk", 7)


def test_unreadable_rows_reported_with_line_number_rest_loaded(tmp_path):
    def change(header, rows):
        rows[1]["tot_loans"] = "many"
        rows[6]["request_created_at"] = "yesterday"

    out, err = run("--csv-file", str(rewrite(tmp_path / "bad.csv", change)))
    # Header is line 1, so rows[1] is line 3 and rows[6] line 8.
    assert "line 3: tot_loans: 'many' is not a whole number" in err
    assert "line 8: request_created_at: 'yesterday' is not a date/time" in err
    assert "unreadable 2" in out
    assert CustomerDetails.objects.count() == 8
    assert not CustomerDetails.objects.filter(run_id__in=["0068e00000001", "0068e00000006"]).exists()


def test_missing_columns_are_named_and_nothing_is_written(tmp_path):
    def change(header, rows):
        return [h for h in header if h not in ("cust_id", "final_entity_type")], rows

    with pytest.raises(CommandError, match="missing column\\(s\\) cust_id, final_entity_type; nothing was written"):
        run("--csv-file", str(rewrite(tmp_path / "narrow.csv", change)))
    assert CustomerDetails.objects.count() == 0


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="CSV file not found"):
        run("--csv-file", str(tmp_path / "nope.csv"))


def test_ends_with_seed_statistics_block():
    out, _ = run("--csv-file", str(SAMPLE))
    stats = out[out.index("Statistics"):]
    assert "- Total statements: 10" in stats
    assert "- With cust_id: 9 (90.0%)" in stats
    assert "- With borrower_id: 8 (80.0%)" in stats
    assert "- UATL: 5 (50.0%)" in stats and "- UMTN: 5 (50.0%)" in stats
    assert "- Direct entities: lead 6 (60.0%), reassessment_result 4 (40.0%)" in stats
    assert "- Final entities: lead 6 (60.0%), reassessment_result 4 (40.0%)" in stats


def test_verify_only_prints_statistics_and_writes_nothing(tmp_path):
    run("--csv-file", str(SAMPLE))

    def change(header, rows):
        rows[0]["risk_category"] = "changed"

    out, _ = run("--verify-only", "--csv-file", str(rewrite(tmp_path / "v.csv", change)))
    assert "would be 1" in out and "nothing was written" in out and "- Total statements: 10" in out
    assert CustomerDetails.objects.get(run_id="0068e00000000").risk_category != "changed"
    out, _ = run("--verify-only")
    assert out.startswith("Statistics") and "- Total statements: 10" in out


def test_duplicate_run_ids_last_row_wins(tmp_path):
    def change(header, rows):
        extra = dict(rows[0])
        extra["risk_category"] = "later_value"
        rows.append(extra)

    out, _ = run("--csv-file", str(rewrite(tmp_path / "dup.csv", change)))
    assert "duplicate run_ids 1" in out
    assert CustomerDetails.objects.count() == 10
    assert CustomerDetails.objects.get(run_id="0068e00000000").risk_category == "later_value"
