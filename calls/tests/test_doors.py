"""Who may change a call, at every door.

A call's status, sid, times, duration and outcome move only through the
telephony path (dispatch, webhook, reconciliation). In the admin, call
sessions and their status rows are view-only for everyone; the changelist
actions (place now, ask the provider, cancel) call the services and need
``change_callsession`` (ops admin). Agents view calls and place them
(``trigger_call``), nothing more. Call sessions have no history table of
their own: their status rows are the audit trail, written by the services.
"""
import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from calls.models import CallSession, CallStatusUpdate, UnmatchedCallback
from calls.tests.factories import CallSessionFactory, CustomerFactory
from core import roles
from debts.models import CommunicationLog

pytestmark = pytest.mark.django_db

ADMIN = "/admin/calls"
ROLES = ["ops_admin", "agent", "reader", "analyst", "outsider"]


@pytest.fixture
def call():
    session = CallSessionFactory(status="initiated", call_sid="d00r0001", initiated_at=timezone.now())
    session.status_updates.create(status="initiated", timestamp=timezone.now(), message="exotel accepted the call")
    return session


@pytest.fixture(params=ROLES)
def staff(request):
    """Each role as a staff user (so the admin's own permission checks answer, not the login page)."""
    user = request.getfixturevalue(request.param)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")


def _form(session, **changes):
    data = {"customer": session.customer_id, "to_number": session.to_number, "provider": session.provider,
            "status": "completed", "duration_seconds": "300", "attempt_count": "1", "call_sid": "other",
            "provider_data": "{}", "call_metadata": "{}",
            "status_updates-TOTAL_FORMS": "0", "status_updates-INITIAL_FORMS": "1"}
    return {**data, **changes}


def _assert_unchanged(session):
    before = (session.status, session.call_sid, session.duration_seconds)
    session.refresh_from_db()
    assert (session.status, session.call_sid, session.duration_seconds) == before
    assert list(CallStatusUpdate.objects.filter(call_session=session).values_list("status", flat=True)) == ["initiated"]
    assert not CommunicationLog.objects.filter(call_session=session).exists()


def test_agent_role_holds_only_view_and_trigger_call_on_calls(db):
    roles.sync_roles()
    codenames = set(
        Permission.objects.filter(group__name=roles.COLLECTIONS_AGENT, content_type__app_label="calls").values_list("codename", flat=True)
    )
    assert codenames == {"view_callsession", "view_callstatusupdate", "view_unmatchedcallback", "trigger_call"}


# --- admin -----------------------------------------------------------------


def test_change_form_is_read_only_and_a_post_is_refused(client, staff, call):
    client.force_login(staff)
    page = client.get(f"{ADMIN}/callsession/{call.pk}/change/")
    if staff.username == "outsider":
        assert page.status_code == 403
    else:
        assert page.status_code == 200
        html = page.content.decode()
        assert 'name="status"' not in html and 'name="call_sid"' not in html and 'name="_save"' not in html
    assert client.post(f"{ADMIN}/callsession/{call.pk}/change/", _form(call)).status_code == 403
    _assert_unchanged(call)


def test_superuser_cannot_edit_a_call_either(client, superuser, call):
    client.force_login(superuser)
    assert client.post(f"{ADMIN}/callsession/{call.pk}/change/", _form(call)).status_code == 403
    _assert_unchanged(call)
    assert client.get(f"{ADMIN}/callsession/add/").status_code == 403
    assert client.post(f"{ADMIN}/callsession/{call.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CallSession.objects.filter(pk=call.pk).exists()


@pytest.mark.parametrize("path", ["callsession/add/", "callstatusupdate/add/", "unmatchedcallback/add/"])
def test_nobody_adds_calls_or_status_rows_in_the_admin(client, staff, path):
    customer = CustomerFactory()
    client.force_login(staff)
    assert client.get(f"{ADMIN}/{path}").status_code == 403
    response = client.post(f"{ADMIN}/{path}", {"customer": customer.pk, "to_number": customer.primary_phone, "status": "completed"})
    assert response.status_code == 403
    assert not CallSession.objects.exists()


def test_nobody_deletes_a_call_in_the_admin(client, staff, call):
    client.force_login(staff)
    assert client.post(f"{ADMIN}/callsession/{call.pk}/delete/", {"post": "yes"}).status_code == 403
    # Nor as a bulk action: "delete selected" is not offered.
    client.post(f"{ADMIN}/callsession/", {"action": "delete_selected", "_selected_action": [call.pk], "post": "yes"})
    assert CallSession.objects.filter(pk=call.pk).exists()
    _assert_unchanged(call)


def test_status_rows_cannot_be_changed_or_deleted(client, staff, superuser, call):
    row = call.status_updates.get()
    for user in (staff, superuser):
        client.force_login(user)
        changed = client.post(f"{ADMIN}/callstatusupdate/{row.pk}/change/",
                              {"call_session": call.pk, "status": "completed", "timestamp_0": "2026-01-01", "timestamp_1": "10:00:00"})
        assert changed.status_code == 403
        assert client.post(f"{ADMIN}/callstatusupdate/{row.pk}/delete/", {"post": "yes"}).status_code == 403
        client.post(f"{ADMIN}/callstatusupdate/", {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    row.refresh_from_db()
    assert row.status == "initiated"
    _assert_unchanged(call)


def test_unmatched_callbacks_are_view_only(client, superuser):
    stored = UnmatchedCallback.objects.create(call_sid="f00", status="completed", payload={"CustomField": "1"})
    client.force_login(superuser)
    assert client.get(f"{ADMIN}/unmatchedcallback/{stored.pk}/change/").status_code == 200
    assert client.post(f"{ADMIN}/unmatchedcallback/{stored.pk}/change/", {"status": "x"}).status_code == 403
    assert client.post(f"{ADMIN}/unmatchedcallback/{stored.pk}/delete/", {"post": "yes"}).status_code == 403
    assert UnmatchedCallback.objects.filter(pk=stored.pk, reconciled_at=None).exists()


def test_only_ops_admin_may_cancel_through_the_action_and_it_leaves_a_status_row(client, ops_admin, agent):
    scheduled = CallSessionFactory(status="scheduled")
    client.force_login(agent)
    client.post(f"{ADMIN}/callsession/", {"action": "cancel_calls", "_selected_action": [scheduled.pk]})
    scheduled.refresh_from_db()
    assert scheduled.status == "scheduled" and not scheduled.status_updates.exists()
    client.force_login(ops_admin)
    response = client.post(f"{ADMIN}/callsession/", {"action": "cancel_calls", "_selected_action": [scheduled.pk]}, follow=True)
    assert "Canceled 1 call(s)." in response.content.decode()
    scheduled.refresh_from_db()
    assert scheduled.status == "canceled"
    [row] = scheduled.status_updates.all()
    assert row.status == "canceled" and row.message == "Canceled by ops: canceled in the admin"


def test_agent_changelist_offers_no_session_actions_but_call_now_on_customers(client, agent, call):
    client.force_login(agent)
    calls_page = client.get(f"{ADMIN}/callsession/").content.decode()
    assert "cancel_calls" not in calls_page and "dispatch_now" not in calls_page and "delete_selected" not in calls_page
    assert "call_customers_now" in client.get("/admin/customers/customer/").content.decode()


# --- API -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("client_name,expected", [
    ("ops_client", 405), ("agent_client", 403), ("analyst_client", 403), ("reader_client", 403), ("outsider_client", 403), ("api_client", 401),
])
def test_api_never_edits_or_deletes_a_call(request, call, method, client_name, expected):
    client = request.getfixturevalue(client_name)
    response = getattr(client, method)(f"/api/v1/calls/{call.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == expected
    _assert_unchanged(call)


@pytest.mark.parametrize("client_name,expected", [
    ("ops_client", 201), ("agent_client", 201), ("analyst_client", 403), ("reader_client", 403), ("outsider_client", 403),
])
def test_placing_a_call_needs_trigger_call_only(request, client_name, expected):
    customer = CustomerFactory()
    response = request.getfixturevalue(client_name).post("/api/v1/calls/", {"customer": customer.pk}, format="json")
    assert response.status_code == expected, response.content
    if expected == 403:
        assert "calls.trigger_call" in response.json()["detail"]
        assert not CallSession.objects.exists()
    else:
        session = CallSession.objects.get()
        # Scheduled by the service: the first status row says who.
        assert session.status_updates.order_by("id").first().message.startswith("Scheduled by ")


@pytest.mark.parametrize("client_name,expected", [("agent_client", 201), ("reader_client", 403), ("outsider_client", 403)])
def test_batch_placing_needs_trigger_call(request, client_name, expected):
    customers = [CustomerFactory().pk, CustomerFactory().pk]
    response = request.getfixturevalue(client_name).post("/api/v1/calls/batch/", {"customers": customers}, format="json")
    assert response.status_code == expected
    assert CallSession.objects.count() == (2 if expected == 201 else 0)


def test_dashboard_call_button_follows_trigger_call(client, agent, reader):
    customer = CustomerFactory()
    client.force_login(reader)
    assert client.post(f"/dashboard/customers/{customer.pk}/call/").status_code == 403
    assert not CallSession.objects.exists()
    client.force_login(agent)
    assert client.post(f"/dashboard/customers/{customer.pk}/call/").status_code == 302
    assert CallSession.objects.get().customer_id == customer.pk
