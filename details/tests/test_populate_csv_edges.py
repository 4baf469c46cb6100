"""The CSV backfill's fast paths keep the slow path's meaning: text that needs
escaping, duplicates across batches, unreadable later duplicates, local times
around daylight-saving changes."""
from __future__ import annotations

import csv
import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from details.csv_import import customer_details_import_csv
from details.csv_rows import datetime_parser as _datetime_parser
from details.models import CustomerDetails

from .conftest import FIXTURES

SAMPLE = FIXTURES / "customer_details" / "customer_details_sample.csv"


def write(path, change):
    rows = list(csv.DictReader(SAMPLE.open()))
    header = list(rows[0])
    change(rows)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(params=[False, True], ids=["backslash-escapes", "no-backslash-escapes"])
def session_sql_mode(request):
    """The session with NO_BACKSLASH_ESCAPES off or on (MySQL/MariaDB), its mode given back after:
    the import asks the session, and quotes text for it (core.bulk.sql_quote_text)."""
    if not request.param:
        yield False
        return
    if connection.vendor != "mysql":
        pytest.skip("NO_BACKSLASH_ESCAPES is a MySQL/MariaDB sql_mode")
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.sql_mode")
        original = cursor.fetchone()[0]
        cursor.execute("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')")
    yield True
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION sql_mode = %s", [original])


@pytest.mark.django_db
def test_text_needing_escapes_is_stored_exactly(tmp_path, session_sql_mode):
    awkward = ["O'Brien \\ \"Hardware\"", "two\nlines", "unit\x1fseparator", "ünïcødé ✓ ; DROP TABLE x; --"]

    def change(rows):
        for row, text in zip(rows, awkward, strict=False):
            row["borrower_biz_name"] = text
            row["lead_national_id"] = text

    report = customer_details_import_csv(path=write(tmp_path / "esc.csv", change))
    assert report.inserted == 10 and not report.errors
    stored = {d.borrower_biz_name: d.lead_national_id for d in CustomerDetails.objects.all()}
    for text in awkward:
        assert stored[text] == text  # lead_national_id decrypts back to the same text
    again = customer_details_import_csv(path=tmp_path / "esc.csv")
    assert again.unchanged == 10 and again.written == 0


@pytest.mark.django_db
def test_duplicates_across_batches_into_an_empty_table(tmp_path):
    def change(rows):
        rows.append(dict(rows[0], risk_category="later_value"))
        rows.append(dict(rows[1]))  # the same row again: nothing to update

    report = customer_details_import_csv(path=write(tmp_path / "dup.csv", change), batch_size=3)
    assert (report.inserted, report.updated, report.unchanged, report.duplicates) == (10, 1, 1, 2)
    assert CustomerDetails.objects.get(run_id="0068e00000000").risk_category == "later_value"


@pytest.mark.django_db
def test_unreadable_later_duplicate_keeps_the_earlier_row(tmp_path):
    def change(rows):
        rows.append(dict(rows[0], tot_loans="many"))

    report = customer_details_import_csv(path=write(tmp_path / "bad-dup.csv", change))
    assert [str(e) for e in report.errors] == ["line 12: tot_loans: 'many' is not a whole number"]
    assert report.inserted == 10
    assert CustomerDetails.objects.get(run_id="0068e00000000").borrower_id == 700000


@pytest.mark.django_db
def test_dry_run_counts_without_writing(tmp_path):
    report = customer_details_import_csv(path=SAMPLE, dry_run=True, batch_size=4)
    assert report.inserted == 10 and report.written == 10
    assert CustomerDetails.objects.count() == 0


@pytest.mark.parametrize("zone", ["Africa/Kampala", "America/New_York", "Australia/Lord_Howe", "Europe/London"])
def test_local_times_convert_as_zoneinfo_does(zone):
    tz = zoneinfo.ZoneInfo(zone)
    to_utc = _datetime_parser(tz)
    rng = random.Random(zone)
    values = [datetime(2000, 1, 1) + timedelta(minutes=rng.randrange(0, 60 * 24 * 365 * 30)) for _ in range(5000)]
    # Every quarter hour of the months with daylight-saving changes.
    values += [datetime(2024, month, 1) + timedelta(minutes=15 * k) for month in (3, 4, 10, 11) for k in range(4 * 24 * 31)]
    for value in values:
        assert to_utc(value) == value.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None), value


@pytest.mark.django_db(transaction=True)
def test_row_the_database_refuses_is_reported_the_rest_written():
    """The database itself refuses one row (a trigger, standing in for any
    server-side refusal): that line is reported, every other row written."""
    if connection.vendor != "mysql":
        pytest.skip("uses a MySQL trigger to make the database refuse one row")
    with connection.cursor() as cursor:
        # CREATE TRIGGER commits implicitly, hence a transactional test.
        cursor.execute(
            "CREATE TRIGGER refuse_one_run BEFORE INSERT ON customer_details FOR EACH ROW "
            "BEGIN IF NEW.run_id = '0068e00000003' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END"
        )
    try:
        report = customer_details_import_csv(path=SAMPLE, batch_size=4)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS refuse_one_run")
    assert [e.line for e in report.errors] == [5] and "refused by the database" in str(report.errors[0])
    assert report.inserted == 9
    assert CustomerDetails.objects.count() == 9 and not CustomerDetails.objects.filter(run_id="0068e00000003").exists()


@pytest.mark.django_db
def test_time_out_of_range_after_conversion_is_unreadable(tmp_path):
    def change(rows):
        rows[0]["request_created_at"] = "0001-01-01 01:00:00"

    report = customer_details_import_csv(path=write(tmp_path / "old.csv", change))
    assert [str(e) for e in report.errors] == ["line 2: request_created_at: '0001-01-01 01:00:00' is out of range"]
