"""Transaction-level reads follow one permission (statements.download_statement,
``statements.permissions.TRANSACTION_READ``) whatever the door: the API
lists, a statement's transactions, the CSV downloads, the statement page's
table and chart, the admin lists. Reader, agent and outsider are refused;
analyst and ops read. And every CSV escapes formulas."""
from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from statements.models import ProcessedTransaction, RawTransaction
from statements.tests.ops_factories import make_statement

pytestmark = pytest.mark.django_db

ALLOWED = ["ops", "analyst"]
REFUSED = ["reader", "agent", "outsider"]
USERS = {"ops": "ops_admin", "analyst": "analyst", "reader": "reader", "agent": "agent", "outsider": "outsider"}


@pytest.fixture
def statement():
    return make_statement(txns=3)


def _api_doors(statement):
    return [
        "/api/v1/raw-transactions/",
        f"/api/v1/raw-transactions/{statement.raw_transactions.first().pk}/",
        "/api/v1/processed-transactions/",
        f"/api/v1/processed-transactions/{statement.processed_transactions.first().pk}/",
        f"/api/v1/statements/{statement.pk}/raw-transactions/",
        f"/api/v1/statements/{statement.pk}/processed-transactions/",
        "/api/v1/download/raw",
        "/api/v1/download/processed",
    ]


@pytest.mark.parametrize("who", ALLOWED + REFUSED)
def test_every_api_door_answers_the_same(statement, who, request):
    client = request.getfixturevalue(f"{USERS[who]}_client" if who != "ops" else "ops_client")
    for url in _api_doors(statement):
        response = client.get(url)
        if who in ALLOWED:
            assert response.status_code == 200, (url, response.status_code)
        else:
            assert response.status_code == 403, (url, response.status_code)
            body = response.content.decode()
            assert "download_statement" in body or "permission" in body.lower(), (url, body)


def test_every_api_door_needs_a_login(statement, api_client):
    for url in _api_doors(statement):
        assert api_client.get(url).status_code == 401, url


@pytest.mark.parametrize("who", REFUSED)
def test_refused_users_still_see_the_statement_itself(statement, who, request):
    if who == "outsider":
        pytest.skip("an outsider sees no statement at all")
    client = request.getfixturevalue(f"{USERS[who]}_client")
    assert client.get(f"/api/v1/statements/{statement.pk}/").status_code == 200
    assert client.get("/api/v1/statements/").status_code == 200


@pytest.mark.parametrize("who", ALLOWED + REFUSED)
def test_the_statement_page_shows_transactions_only_with_the_permission(client, statement, who, request):
    client.force_login(request.getfixturevalue(USERS[who]))
    url = f"/statements/{statement.pk}/"
    response = client.get(url)
    txn_id = ProcessedTransaction.objects.filter(statement=statement).first().txn_id
    htmx = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="transactions")
    if who in ALLOWED:
        assert response.status_code == 200 and txn_id in response.content.decode()
        assert htmx.status_code == 200 and txn_id in htmx.content.decode()
    elif who == "outsider":
        assert response.status_code == 403 and htmx.status_code == 403
    else:
        html = response.content.decode()
        assert response.status_code == 200 and txn_id not in html and 'id="transactions-hidden"' in html
        assert 'id="balance-data"' not in html
        assert htmx.status_code == 403


@pytest.mark.parametrize("who", ALLOWED + REFUSED)
def test_the_admin_transaction_lists(client, statement, who, request):
    user = request.getfixturevalue(USERS[who])
    user.is_staff = True
    user.save()
    client.force_login(user)
    raw = RawTransaction.objects.filter(statement=statement).first()
    processed = ProcessedTransaction.objects.filter(statement=statement).first()
    urls = [
        reverse("admin:statements_rawtransaction_changelist"),
        reverse("admin:statements_processedtransaction_changelist"),
        reverse("admin:statements_rawtransaction_change", args=[raw.pk]),
        reverse("admin:statements_processedtransaction_change", args=[processed.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == (200 if who in ALLOWED else 403), url
    changelist = reverse("admin:statements_statement_changelist")
    download = client.post(changelist, {"action": "download_raw", "_selected_action": [statement.pk]})
    if who in ALLOWED:
        assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    else:
        assert not getattr(download, "streaming", False)


HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0", "\t=1"]


@pytest.mark.parametrize("kind", ["raw", "processed"])
def test_downloads_escape_formulas_and_keep_negative_amounts(analyst_client, statement, kind):
    model = RawTransaction if kind == "raw" else ProcessedTransaction
    rows = list(model.objects.filter(statement=statement).order_by("id"))
    for row, text in zip(rows, HOSTILE, strict=False):
        row.description = text
        row.save(update_fields=["description"])
    model.objects.filter(pk=rows[0].pk).update(amount="-500.00")
    response = analyst_client.get(f"/api/v1/download/{kind}")
    assert response.status_code == 200
    parsed = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_id = {int(r["id"]): r for r in parsed}
    for row, text in zip(rows, HOSTILE, strict=False):
        assert by_id[row.pk]["description"] == "'" + text
    assert by_id[rows[0].pk]["amount"] == "-500.00"
