"""Every door an MTN MoMo PDF comes in by, with each role (issue 18): the
admin upload (Statement imports → Add), ``/statements/import/`` and
``POST /api/v1/statements/``. Ops admins and risk analysts may import
(``statements.add_statement`` / ``add_statementimport``); collections
agents, team leads, read-only users and users with no role get 403 and
nothing is stored. A request whose provider code is ``UMTN2`` (mapper.csv,
PROVIDER_FAMILIES=UMTN2=UMTN) is read by the family the content shows and
stored as UMTN2, through each door."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from core import roles
from details.tests.factories import CustomerDetailsFactory
from statements.choices import StatementFormat, StatementStatus
from statements.models import Statement, StatementImport

pytestmark = pytest.mark.django_db

MOMO = (Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples" / "mtn_momo_newest_first.pdf").read_bytes()
ADMIN_ADD = "/admin/statements/statementimport/add/"
PAGE = "/statements/import/"
API = "/api/v1/statements/"
MAY_IMPORT = (roles.OPS_ADMIN, roles.RISK_ANALYST)
MAY_NOT = (roles.COLLECTIONS_AGENT, roles.TEAM_LEAD, roles.READ_ONLY, None)  # None: a user with no role


@pytest.fixture
def umtn2(settings):
    settings.PROVIDER_FAMILIES = {"UMTN2": "UMTN"}
    yield
    settings.PROVIDER_FAMILIES = {}


def user_in(django_user_model, role: str | None):
    """A staff user (the admin door is open to staff; the role decides) in ``role``."""
    user = django_user_model.objects.create_user(username=f"u-{role or 'none'}".replace(" ", "-"), password="pw", is_staff=True)
    if role:
        roles.sync_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def momo(name: str = "momo.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MOMO, content_type="application/pdf")


def post(door: str, user, *, provider: str = "", run_id: str = ""):
    """Upload the MoMo PDF through ``door`` as ``user``; returns the response."""
    if door == "api":
        client = APIClient()
        client.force_authenticate(user)
        data = {"files": [momo()], **({"provider": provider} if provider else {}), **({"run_id": run_id} if run_id else {})}
        return client.post(API, data, format="multipart")
    client = Client()
    client.force_login(user)
    if door == "admin":
        return client.post(ADMIN_ADD, {"files": [momo()], "provider": provider, "run_id": run_id})
    return client.post(PAGE, {"file": momo(), "provider": provider, "run_id": run_id, "password": ""})


DOORS = ("admin", "page", "api")
ACCEPTED = {"admin": 302, "page": 302, "api": 202}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("role", MAY_IMPORT)
def test_ops_admins_and_risk_analysts_import_a_momo_pdf(door, role, django_user_model, django_capture_on_commit_callbacks):
    user = user_in(django_user_model, role)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(door, user)
    assert response.status_code == ACCEPTED[door], response.content[:500]
    statement = Statement.objects.get()
    assert (statement.acc_prvdr_code, statement.format, statement.status) == ("UMTN", StatementFormat.UMTN_PDF, StatementStatus.VERIFIED)
    assert statement.num_rows == 80 and statement.summary.taxes > 0
    if door != "page":  # the page imports at once; the admin and the API record a job
        assert StatementImport.objects.get().started_by == user


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("role", MAY_NOT)
def test_other_roles_get_403_and_nothing_is_stored(door, role, django_user_model, django_capture_on_commit_callbacks):
    user = user_in(django_user_model, role)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(door, user)
    assert response.status_code == 403
    assert not Statement.objects.exists() and not StatementImport.objects.exists()


@pytest.mark.parametrize("door", DOORS)
def test_anonymous_is_sent_to_log_in_or_refused(door, client, django_capture_on_commit_callbacks):
    if door == "api":
        response = APIClient().post(API, {"files": [momo()]}, format="multipart")
        assert response.status_code in (401, 403)
    else:
        response = client.post(ADMIN_ADD if door == "admin" else PAGE, {"files": [momo()], "file": momo()})
        assert response.status_code == 302 and "login" in response["Location"]
    assert not Statement.objects.exists() and not StatementImport.objects.exists()


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("how", ["request", "hint"])
def test_a_umtn2_statement_is_read_by_the_family_its_content_shows_at_every_door(door, how, umtn2, django_user_model,
                                                                               django_capture_on_commit_callbacks):
    CustomerDetailsFactory(run_id="run-umtn2", acc_prvdr_code="UMTN2", acc_number="772123456")
    user = user_in(django_user_model, roles.RISK_ANALYST)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(door, user, run_id="run-umtn2") if how == "request" else post(door, user, provider="UMTN2")
    assert response.status_code == ACCEPTED[door], response.content[:500]
    statement = Statement.objects.get()
    # Stored as the request's code, read and verified by the MTN MoMo PDF parser and MTN's rules.
    assert (statement.acc_prvdr_code, statement.format, statement.status) == ("UMTN2", StatementFormat.UMTN_PDF, StatementStatus.VERIFIED)
    assert set(statement.processed_transactions.values_list("acc_prvdr_code", flat=True)) == {"UMTN2"}
    assert statement.summary.balance_match == "Success" and statement.summary.taxes > 0


@pytest.mark.parametrize("door", DOORS)
def test_an_unmapped_code_is_refused_at_every_door(door, django_user_model, django_capture_on_commit_callbacks):
    user = user_in(django_user_model, roles.OPS_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(door, user, provider="UMTN9")
    assert response.status_code in (200, 400)  # the form or the serializer says why
    assert "UMTN9" in response.content.decode()
    assert not Statement.objects.exists()
