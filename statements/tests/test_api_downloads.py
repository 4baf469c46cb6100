"""CSV downloads of raw and processed transactions, filtered like the list."""
import csv
import io

import pytest

from statements import exports
from statements.choices import StatementStatus
from statements.models import ProcessedTransaction, Statement
from statements.tests.ops_factories import make_statement

pytestmark = pytest.mark.django_db


def _csv(response):
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_processed_download_by_provider_as_in_seed_004(analyst_client):
    uatl = [make_statement(provider="UATL", txns=4), make_statement(provider="UATL", txns=3)]
    make_statement(provider="UMTN", txns=5)
    response = analyst_client.get("/api/v1/download/processed?acc_prvdr_code=UATL")
    rows = _csv(response)
    assert "uatl" in response["Content-Disposition"]
    assert len(rows) == 7
    assert {r["acc_prvdr_code"] for r in rows} == {"UATL"}
    assert {int(r["statement_id"]) for r in rows} == {s.pk for s in uatl}
    first = rows[0]
    expected = ProcessedTransaction.objects.filter(statement=uatl[0]).order_by("id").first()
    assert first["txn_id"] == expected.txn_id and first["calculated_running_balance"] == str(expected.calculated_running_balance)
    # Timestamps in UTC, as the column name says (08:00 UTC in the factory).
    assert first["txn_date_utc"].startswith("2025-09-01 08:00:00")
    assert first["is_duplicate"] in ("0", "False")


def test_raw_download_filtered_by_statement_status(analyst_client):
    flagged = make_statement(status=StatementStatus.FLAGGED, txns=2)
    make_statement(status=StatementStatus.VERIFIED, txns=3)
    rows = _csv(analyst_client.get("/api/v1/download/raw", {"status": "FLAGGED"}))
    assert [(int(r["statement_id"]), r["row_number"], r["raw_amount"]) for r in rows] == [(flagged.pk, "1", "1,000"), (flagged.pk, "2", "1,000")]


def test_download_with_no_match_is_just_the_header(analyst_client):
    make_statement(provider="UATL")
    response = analyst_client.get("/api/v1/download/raw", {"provider": "UMTN"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().splitlines() == [",".join(exports.KINDS["raw"].header)]


def test_download_needs_the_download_permission(reader_client, analyst_client, api_client):
    make_statement()
    assert api_client.get("/api/v1/download/processed").status_code == 401
    assert reader_client.get("/api/v1/download/processed").status_code == 403
    assert analyst_client.get("/api/v1/download/processed").status_code == 200


def test_download_rejects_a_bad_filter(analyst_client):
    response = analyst_client.get("/api/v1/download/processed", {"tampering_level": "SOMEWHAT"})
    assert response.status_code == 400
    assert "tampering_level" in response.json()


@pytest.mark.parametrize("by_statement", [False, True])
def test_chunks_cover_every_row_exactly_once(by_statement):
    statements = [make_statement(txns=n) for n in (5, 1, 7)]
    kwargs = {"statements": Statement.objects.all()} if by_statement else {"transaction_filters": {"acc_prvdr_code": "UATL"}}
    chunks = list(exports.transactions_csv("processed", chunk_rows=3, **kwargs))
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert len(chunks) > 4  # header + several chunks: it really streamed in pieces
    assert sorted(int(r["id"]) for r in rows) == sorted(ProcessedTransaction.objects.values_list("id", flat=True))
    assert len(rows) == 13 and {int(r["statement_id"]) for r in rows} == {s.pk for s in statements}
