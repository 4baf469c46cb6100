"""The risk score at the Django doors: stored by the import, kept by
re-verification, the account signal from customer details, and the API's
list and detail (filters, ordering)."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.statements import generate as gen
from statements.choices import StatementStatus
from statements.engine.forensics import codes
from statements.models import Statement, StatementSummary
from statements.risk import statement_request_check
from statements.services import statement_import_file, statement_reprocess
from statements.tests import tamper
from statements.tests.ops_factories import make_details, make_statement

pytestmark = pytest.mark.django_db
LIST = "/api/v1/statements/"
GENUINE = Path(gen.__file__).resolve().parent / "genuine"


def _reason(code: str, weight: int, **kw) -> dict:
    return {"code": code, "message": code.replace("_", " "), "weight": weight, "page": kw.get("page"), "row": kw.get("row"), "field": kw.get("field", "")}


def test_import_stores_score_and_reasons_and_reprocess_keeps_what_only_the_file_showed():
    data = tamper.cover_up((GENUINE / "f1_plain.pdf").read_bytes(), 0, 676.5, 450.0, 60, "9,999,999")
    stored = statement_import_file(path=data, file_name="covered.pdf").statement
    summary = StatementSummary.objects.get(statement=stored)
    found = {r["code"] for r in summary.risk_reasons}
    assert codes.COVERED_TEXT in found and summary.risk_score >= codes.FLAG_THRESHOLD
    assert stored.status == StatementStatus.FLAGGED
    statement_reprocess(statement_id=stored.pk)
    again = StatementSummary.objects.get(statement=stored)
    assert codes.COVERED_TEXT in {r["code"] for r in again.risk_reasons}
    assert again.risk_score == summary.risk_score
    assert Statement.objects.get(pk=stored.pk).status == StatementStatus.FLAGGED


def test_genuine_import_scores_zero():
    stored = statement_import_file(path=(GENUINE / "f2_plain.pdf").read_bytes(), file_name="genuine.pdf").statement
    summary = StatementSummary.objects.get(statement=stored)
    assert (summary.risk_score, summary.risk_reasons, stored.status) == (0, [], StatementStatus.VERIFIED)


def test_account_differing_from_the_statement_request_is_a_reason():
    stored = statement_import_file(path=(GENUINE / "f1_plain.pdf").read_bytes(), file_name="genuine.pdf").statement
    assert stored.status == StatementStatus.VERIFIED
    stored.customer_details = make_details(acc_number="701111111")
    stored.save(update_fields=["customer_details"])
    assert statement_request_check(statement=stored) is True
    summary = StatementSummary.objects.get(statement=stored)
    (reason,) = [r for r in summary.risk_reasons if r["code"] == codes.ACCOUNT_MISMATCH]
    assert "…801" in reason["message"] and "…111" in reason["message"]  # masked: last three digits only
    assert summary.risk_score >= codes.FLAG_THRESHOLD
    assert Statement.objects.get(pk=stored.pk).status == StatementStatus.FLAGGED
    # the account signal survives re-verification from the stored rows
    statement_reprocess(statement_id=stored.pk)
    assert codes.ACCOUNT_MISMATCH in {r["code"] for r in StatementSummary.objects.get(statement=stored).risk_reasons}
    # the request corrected: the reason goes, the verdict comes back
    stored.customer_details = make_details(acc_number="256706015801")
    stored.save(update_fields=["customer_details"])
    assert statement_request_check(statement=stored) is True
    assert StatementSummary.objects.get(statement=stored).risk_score == 0
    assert Statement.objects.get(pk=stored.pk).status == StatementStatus.VERIFIED
    assert statement_request_check(statement=stored) is False


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_list_filters_and_orders_by_risk_score(reader_client):
    low = make_statement(risk_score=5, risk_reasons=[_reason(codes.DIRTY_CELLS, 5, page=1, row=3)])
    high = make_statement(risk_score=90, status=StatementStatus.FLAGGED, risk_reasons=[_reason(codes.FONT_UNEXPECTED, 45, page=2, row=40, field="Balance")])
    mid = make_statement(risk_score=40, status=StatementStatus.FLAGGED)
    failed = make_statement(status=StatementStatus.IMPORT_FAILED, with_summary=False)

    assert _ids(reader_client.get(LIST, {"ordering": "-risk_score"}))[:3] == [high.pk, mid.pk, low.pk]
    assert _ids(reader_client.get(LIST, {"ordering": "risk_score"}))[-3:] == [low.pk, mid.pk, high.pk]
    assert set(_ids(reader_client.get(LIST, {"risk_score__gte": 40}))) == {high.pk, mid.pk}
    assert set(_ids(reader_client.get(LIST, {"risk_score__lte": 10}))) == {low.pk}
    rows = {row["id"]: row for row in reader_client.get(LIST).json()["results"]}
    assert rows[high.pk]["risk_score"] == 90
    assert rows[high.pk]["risk_reasons"] == [_reason(codes.FONT_UNEXPECTED, 45, page=2, row=40, field="Balance")]
    assert rows[failed.pk]["risk_score"] is None and rows[failed.pk]["risk_reasons"] is None
    detail = reader_client.get(f"{LIST}{high.pk}/").json()
    assert detail["summary"]["risk_score"] == 90 and detail["summary"]["risk_reasons"][0]["code"] == codes.FONT_UNEXPECTED


def test_review_queue_is_flagged_statements_without_a_decision(reader_client, django_user_model):
    from statements.services import statement_review_record  # noqa: PLC0415 - keeps the module's imports to what most tests use

    flagged = make_statement(risk_score=70, status=StatementStatus.FLAGGED)
    reviewed = make_statement(risk_score=70, status=StatementStatus.FLAGGED)
    make_statement(risk_score=0)
    reviewer = django_user_model.objects.create_superuser("boss", "boss@example.com", "x")
    statement_review_record(statement_id=reviewed.pk, decision="reject", note="edited", reviewed_by=reviewer)
    assert _ids(reader_client.get(LIST, {"needs_review": "true"})) == [flagged.pk]


def test_list_rejects_a_score_that_is_not_a_number(reader_client):
    assert reader_client.get(LIST, {"risk_score__gte": "high"}).status_code == 400
