"""The risk analyst's pages: /statements/ sorted by score with the review
queue and date filters, /statements/{id}/ with its reasons, highlighted
rows, links and review form, and /statements/import/ with a PDF password."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fixtures.statements import generate as gen
from statements.choices import StatementStatus
from statements.engine.forensics import codes
from statements.models import Statement, StatementReview
from statements.tests import tamper
from statements.tests.ops_factories import make_statement

pytestmark = pytest.mark.django_db
GENUINE = Path(gen.__file__).resolve().parent / "genuine"


@pytest.fixture
def analyst_browser(client, analyst):
    client.force_login(analyst)
    return client


def _reason(code: str, weight: int, **kw) -> dict:
    return {"code": code, "message": f"{code} here", "weight": weight, "page": kw.get("page"), "row": kw.get("row"), "field": kw.get("field", "")}


def _order(html: str, *statements: Statement) -> list[int]:
    positions = {s.pk: html.index(f'/statements/{s.pk}/"') for s in statements}
    return sorted(positions, key=positions.get)


def test_list_sorts_by_score_shows_score_and_reasons_and_filters_dates(analyst_browser):
    low = make_statement(risk_score=5, risk_reasons=[_reason(codes.DIRTY_CELLS, 5)])
    high = make_statement(risk_score=85, status=StatementStatus.FLAGGED, risk_reasons=[_reason(codes.FONT_UNEXPECTED, 45, page=2, row=7)],
                          start=datetime(2024, 3, 1, tzinfo=UTC))
    none = make_statement(status=StatementStatus.IMPORT_FAILED, with_summary=False)
    html = analyst_browser.get("/statements/").content.decode()
    assert _order(html, low, high, none) == [high.pk, low.pk, none.pk]
    assert "font_unexpected here" in html and 'data-label="Score"' in html
    newest = analyst_browser.get("/statements/", {"sort": "imported"}).content.decode()
    assert _order(newest, low, high, none)[0] == none.pk
    period = analyst_browser.get("/statements/", {"period_to": "2024-12-31"}).content.decode()
    assert f'/statements/{high.pk}/"' in period and f'/statements/{low.pk}/"' not in period
    Statement.objects.filter(pk=low.pk).update(created_at=datetime(2023, 5, 1, tzinfo=UTC))
    imported = analyst_browser.get("/statements/", {"imported_to": "2023-12-31"}).content.decode()
    assert f'/statements/{low.pk}/"' in imported and f'/statements/{high.pk}/"' not in imported
    scored = analyst_browser.get("/statements/", {"risk_score__gte": "40"}).content.decode()
    assert f'/statements/{high.pk}/"' in scored and f'/statements/{low.pk}/"' not in scored


def test_review_queue_holds_flagged_statements_without_a_decision(analyst_browser, analyst):
    waiting = make_statement(risk_score=70, status=StatementStatus.FLAGGED)
    decided = make_statement(risk_score=70, status=StatementStatus.FLAGGED)
    clean = make_statement(risk_score=0)
    response = analyst_browser.post(f"/statements/{decided.pk}/review/", {"decision": "reject", "note": "edited amounts"})
    assert response.status_code == 302
    assert StatementReview.objects.get(statement=decided).reviewed_by == analyst
    html = analyst_browser.get("/statements/", {"needs_review": "true"}).content.decode()
    assert f'/statements/{waiting.pk}/"' in html
    assert f'/statements/{decided.pk}/"' not in html and f'/statements/{clean.pk}/"' not in html


def test_review_form_refuses_a_blank_note_and_a_reader(analyst_browser, client, reader):
    statement = make_statement(risk_score=70, status=StatementStatus.FLAGGED)
    response = analyst_browser.post(f"/statements/{statement.pk}/review/", {"decision": "accept", "note": "  "})
    assert response.status_code == 400 and not StatementReview.objects.exists()
    client.force_login(reader)
    assert client.post(f"/statements/{statement.pk}/review/", {"decision": "accept", "note": "fine"}).status_code == 403
    assert 'id="review-form"' not in client.get(f"/statements/{statement.pk}/").content.decode()


def test_detail_highlights_the_first_break_and_the_rows_reasons_point_at(analyst_browser):
    statement = make_statement(txns=6, break_at=3, risk_score=100, status=StatementStatus.FLAGGED, risk_reasons=[
        _reason(codes.BALANCE_MISMATCH, 70, page=1, row=4, field="Balance"),
        _reason(codes.FONT_UNEXPECTED, 45, page=1, row=2, field="Transaction Amount"),
        _reason(codes.LAYOUT_SHORT_PAGE, 40, page=1),
    ])
    html = analyst_browser.get(f"/statements/{statement.pk}/").content.decode()
    assert 'id="risk-reasons"' in html and "font_unexpected here" in html and "row 2" in html
    assert 'id="row-4" class="hl-break"' in html
    assert 'id="row-2" class="hl-reason"' in html
    assert 'id="first-break-note"' in html and "Pages the reasons point at: 1" in html


def test_detail_links_the_original_file_only_with_the_transaction_permission(analyst_browser, client, reader):
    from statements.services import statement_import_file  # noqa: PLC0415 - the import writes a file: only this test needs it

    stored = statement_import_file(path=(GENUINE / "f1_plain.pdf").read_bytes(), file_name="genuine.pdf").statement
    html = analyst_browser.get(f"/statements/{stored.pk}/").content.decode()
    assert f'href="/statements/{stored.pk}/file/"' in html
    response = analyst_browser.get(f"/statements/{stored.pk}/file/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(reader)
    assert 'id="file-link"' not in client.get(f"/statements/{stored.pk}/").content.decode()
    assert client.get(f"/statements/{stored.pk}/file/").status_code == 403


def test_import_form_takes_the_pdf_password(analyst_browser, client, reader):
    data = (GENUINE / "f1_encrypted.pdf").read_bytes()
    assert analyst_browser.get("/statements/import/").status_code == 200
    wrong = analyst_browser.post("/statements/import/", {"file": SimpleUploadedFile("locked.pdf", data), "password": ""})
    failed = Statement.objects.get()
    assert wrong.status_code == 302 and failed.status == StatementStatus.IMPORT_FAILED and "password" in failed.failure_reason
    right = analyst_browser.post("/statements/import/", {"file": SimpleUploadedFile("locked.pdf", data), "password": "s3cret"})
    statement = Statement.objects.get()  # the failed attempt replaced, not a second row
    assert right.status_code == 302 and right["Location"] == f"/statements/{statement.pk}/"
    assert statement.status == StatementStatus.VERIFIED and statement.num_rows == 70
    client.force_login(reader)
    assert client.get("/statements/import/").status_code == 403


def test_import_of_a_tampered_file_lands_flagged_with_its_reasons(analyst_browser):
    data = tamper.free_text((GENUINE / "f1_plain.pdf").read_bytes(), 0, 676.5, 450.0, "9,999,999")
    analyst_browser.post("/statements/import/", {"file": SimpleUploadedFile("edited.pdf", data)})
    statement = Statement.objects.get()
    assert statement.status == StatementStatus.FLAGGED
    html = analyst_browser.get(f"/statements/{statement.pk}/").content.decode()
    assert codes.ANNOTATION in html
