"""Review decisions: a person's accept / reject / escalate, with a note,
beside the engine's verdict and never replacing it — through the service,
the API and the admin; and the verdict itself read-only at every door."""
from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from statements.choices import StatementStatus, TamperingLevel, VerificationStatus
from statements.models import Statement, StatementReview, StatementSummary
from statements.services import statement_review_record
from statements.tests.ops_factories import make_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def fatal():
    return make_statement(status=StatementStatus.FLAGGED, verification_status=VerificationStatus.FAIL, tampering_level=TamperingLevel.FATAL)


def _verdict(statement):
    summary = StatementSummary.objects.get(statement=statement)
    return (
        Statement.objects.get(pk=statement.pk).status, summary.verification_status, summary.tampering_level,
        summary.opening_balance_stated, summary.closing_balance_stated, summary.closing_balance_calculated,
    )


# ------------------------------------------------------------------ service


def test_the_service_records_a_decision_and_leaves_the_verdict(fatal, ops_admin):
    before = _verdict(fatal)
    review = statement_review_record(statement_id=fatal.pk, decision="accept", note="  Called the customer; the edit is the bank's.  ", reviewed_by=ops_admin)
    assert (review.decision, review.note, review.reviewed_by) == ("accept", "Called the customer; the edit is the bank's.", ops_admin)
    assert (review.statement_status, review.verification_status, review.tampering_level) == ("FLAGGED", "FAIL", "FATAL")
    assert _verdict(fatal) == before
    entry = LogEntry.objects.get(object_id=str(fatal.pk))
    assert entry.user == ops_admin and "Accept" in entry.change_message


def test_decisions_are_appended_never_edited(fatal, ops_admin, analyst):
    first = statement_review_record(statement_id=fatal.pk, decision="escalate", note="Needs risk", reviewed_by=analyst)
    statement_review_record(statement_id=fatal.pk, decision="reject", note="Fake statement", reviewed_by=ops_admin)
    assert list(StatementReview.objects.filter(statement=fatal).values_list("decision", flat=True)) == ["reject", "escalate"]
    first.refresh_from_db()
    assert (first.decision, first.note) == ("escalate", "Needs risk")


@pytest.mark.parametrize("note", ["", "   ", None])
def test_a_blank_note_is_refused(fatal, ops_admin, note):
    with pytest.raises(ValidationError) as exc:
        statement_review_record(statement_id=fatal.pk, decision="accept", note=note, reviewed_by=ops_admin)
    assert "note" in exc.value.message_dict
    assert not StatementReview.objects.exists()


def test_an_unknown_decision_is_refused(fatal, ops_admin):
    with pytest.raises(ValidationError) as exc:
        statement_review_record(statement_id=fatal.pk, decision="verified", note="x", reviewed_by=ops_admin)
    assert "decision" in exc.value.message_dict
    assert not StatementReview.objects.exists()


@pytest.mark.parametrize("who", ["reader", "agent", "outsider"])
def test_a_user_without_the_permission_is_refused(fatal, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        statement_review_record(statement_id=fatal.pk, decision="accept", note="ok", reviewed_by=user)
    assert not StatementReview.objects.exists()


# ------------------------------------------------------------------ API


def _review_url(statement):
    return f"/api/v1/statements/{statement.pk}/review/"


@pytest.mark.parametrize("who", ["ops_client", "analyst_client"])
def test_api_review_answers_201_and_the_detail_shows_it_beside_the_verdict(fatal, who, request):
    client = request.getfixturevalue(who)
    before = _verdict(fatal)
    response = client.post(_review_url(fatal), {"decision": "reject", "note": "Balances edited"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["decision"], body["note"], body["statement"], body["tampering_level"]) == ("reject", "Balances edited", fatal.pk, "FATAL")
    assert _verdict(fatal) == before
    detail = client.get(f"/api/v1/statements/{fatal.pk}/").json()
    assert detail["summary"]["tampering_level"] == "FATAL" and detail["status"] == "FLAGGED"
    assert detail["latest_review"]["decision"] == "reject"
    assert [r["decision"] for r in detail["reviews"]] == ["reject"]


@pytest.mark.parametrize("who", ["reader_client", "agent_client", "outsider_client"])
def test_api_review_is_403_without_the_permission(fatal, who, request):
    response = request.getfixturevalue(who).post(_review_url(fatal), {"decision": "accept", "note": "fine"}, format="json")
    assert response.status_code == 403
    assert "review_statement" in response.json()["detail"]
    assert not StatementReview.objects.exists()


def test_api_review_needs_a_login(fatal, api_client):
    assert api_client.post(_review_url(fatal), {"decision": "accept", "note": "fine"}, format="json").status_code == 401


@pytest.mark.parametrize("payload, field", [({"decision": "accept", "note": ""}, "note"), ({"decision": "accept", "note": "   "}, "note"),
                                            ({"decision": "accept"}, "note"), ({"decision": "VERIFIED", "note": "x"}, "decision")])
def test_api_review_is_400_on_a_blank_note_or_a_bad_decision(fatal, ops_client, payload, field):
    response = ops_client.post(_review_url(fatal), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not StatementReview.objects.exists()


def test_api_detail_without_a_review_has_null_and_empty(fatal, reader_client):
    detail = reader_client.get(f"/api/v1/statements/{fatal.pk}/").json()
    assert detail["latest_review"] is None and detail["reviews"] == []


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_api_cannot_change_a_statement_verdict(fatal, ops_client, method):
    before = _verdict(fatal)
    response = getattr(ops_client, method)(f"/api/v1/statements/{fatal.pk}/", {"status": "VERIFIED"}, format="json")
    assert response.status_code == 405
    assert _verdict(fatal) == before


# ------------------------------------------------------------------ admin


def test_admin_statement_page_is_read_only_even_for_ops(client, ops_admin, fatal):
    client.force_login(ops_admin)
    url = reverse("admin:statements_statement_change", args=[fatal.pk])
    html = client.get(url).content.decode()
    assert 'name="status"' not in html and 'name="opening_balance"' not in html
    assert 'name="summary-0-tampering_level"' not in html
    assert "Record review" in html
    before = _verdict(fatal)
    response = client.post(url, {"status": "VERIFIED", "opening_balance": "1", "summary-0-tampering_level": "NO_ISSUES"})
    assert response.status_code == 403
    assert _verdict(fatal) == before


def test_admin_summary_and_transactions_are_read_only(client, ops_admin, fatal):
    client.force_login(ops_admin)
    summary = StatementSummary.objects.get(statement=fatal)
    url = reverse("admin:statements_statementsummary_change", args=[summary.pk])
    assert client.get(url).status_code == 200
    assert 'name="tampering_level"' not in client.get(url).content.decode()
    before = _verdict(fatal)
    assert client.post(url, {"tampering_level": "NO_ISSUES", "verification_status": "PASS"}).status_code == 403
    assert _verdict(fatal) == before
    raw = fatal.raw_transactions.first()
    assert client.post(reverse("admin:statements_rawtransaction_change", args=[raw.pk]), {"amount": "1"}).status_code == 403
    assert client.post(reverse("admin:statements_rawtransaction_delete", args=[raw.pk]), {"post": "yes"}).status_code == 403


def test_admin_no_bulk_action_sets_the_verdict(client, ops_admin):
    client.force_login(ops_admin)
    response = client.get(reverse("admin:statements_statement_changelist"))
    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert set(actions) - {""} <= {"reverify", "reprocess", "download_processed", "download_raw", "delete_selected"}
    response = client.get(reverse("admin:statements_statementsummary_changelist"))
    assert response.context["action_form"] is None or set(
        v for v, _ in response.context["action_form"].fields["action"].choices
    ) <= {""}


def test_admin_record_review_through_the_service(client, ops_admin, fatal):
    client.force_login(ops_admin)
    url = reverse("admin:statements_statement_review", args=[fatal.pk])
    assert client.get(url).status_code == 200
    before = _verdict(fatal)
    refused = client.post(url, {"decision": "accept", "note": "   "})
    assert refused.status_code == 200 and "note" in refused.content.decode().lower()
    assert not StatementReview.objects.exists()
    response = client.post(url, {"decision": "escalate", "note": "Send to risk"})
    assert response.status_code == 302
    review = StatementReview.objects.get()
    assert (review.decision, review.note, review.reviewed_by) == ("escalate", "Send to risk", ops_admin)
    assert _verdict(fatal) == before
    page = client.get(reverse("admin:statements_statement_change", args=[fatal.pk])).content.decode()
    assert "Review: Escalate" in page and "Send to risk" in page and "Fatal" in page


@pytest.mark.parametrize("who", ["agent"])
def test_admin_record_review_is_403_without_the_permission(client, fatal, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    url = reverse("admin:statements_statement_review", args=[fatal.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"decision": "accept", "note": "x"}).status_code == 403
    assert "Record review" not in client.get(reverse("admin:statements_statement_change", args=[fatal.pk])).content.decode()
    assert not StatementReview.objects.exists()


def test_admin_review_rows_cannot_be_added_changed_or_deleted(client, ops_admin, fatal):
    review = statement_review_record(statement_id=fatal.pk, decision="accept", note="ok", reviewed_by=ops_admin)
    client.force_login(ops_admin)
    assert client.get(reverse("admin:statements_statementreview_add")).status_code == 403
    url = reverse("admin:statements_statementreview_change", args=[review.pk])
    assert client.post(url, {"decision": "reject", "note": "changed"}).status_code == 403
    assert client.post(reverse("admin:statements_statementreview_delete", args=[review.pk]), {"post": "yes"}).status_code == 403
    review.refresh_from_db()
    assert (review.decision, review.note) == ("accept", "ok")


# ------------------------------------------------------------------ page


def test_the_statement_page_shows_the_latest_decision_beside_the_verdict(client, ops_admin, analyst, fatal):
    statement_review_record(statement_id=fatal.pk, decision="escalate", note="first look", reviewed_by=analyst)
    statement_review_record(statement_id=fatal.pk, decision="accept", note="Bank confirmed", reviewed_by=ops_admin)
    client.force_login(ops_admin)
    html = client.get(f"/statements/{fatal.pk}/").content.decode()
    assert "Tampering: Fatal" in html and "Review: Accept" in html
    assert "Bank confirmed" in html and "first look" in html


def test_api_review_refuses_an_oversized_note(fatal, ops_client):
    response = ops_client.post(_review_url(fatal), {"decision": "accept", "note": "x" * 100_000}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    assert not StatementReview.objects.exists()
