"""The "call now" admin actions the other apps' changelists list, and the
call-session admin's own actions."""
import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage

from calls.admin_actions import call_customers_now, call_debts_now, call_upload_rows_now
from calls.models import CallSession
from calls.tests.factories import CallSessionFactory, CustomerFactory, DebtFactory, FileUploadFactory, UploadRowFactory
from customers.models import Customer
from debts.models import Debt
from uploads.models import FileUpload, UploadRow

pytestmark = pytest.mark.django_db


def _request(rf, user):
    request = rf.post("/admin/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _messages(request):
    return [str(m) for m in request._messages]


def test_call_customers_now(rf, agent):
    a, b = CustomerFactory(), CustomerFactory(do_not_call=True)
    request = _request(rf, agent)
    call_customers_now(admin.site._registry[Customer], request, Customer.objects.filter(pk__in=[a.pk, b.pk]))
    assert list(CallSession.objects.values_list("customer_id", flat=True)) == [a.pk]
    assert any("Scheduled 1 call" in m for m in _messages(request))
    assert any("do-not-call" in m for m in _messages(request))


def test_call_debts_now_links_the_debt(rf, agent):
    debt = DebtFactory()
    call_debts_now(admin.site._registry[Debt], _request(rf, agent), Debt.objects.filter(pk=debt.pk))
    assert CallSession.objects.get().debt_id == debt.pk


def test_call_upload_rows_now_records_row_and_batch(rf, agent):
    upload = FileUploadFactory()
    debt = DebtFactory()
    row = UploadRowFactory(file_upload=upload, matched_customer=debt.customer, matched_debt=debt)
    call_upload_rows_now(admin.site._registry.get(UploadRow) or admin.ModelAdmin(UploadRow, admin.site), _request(rf, agent), UploadRow.objects.all())
    session = CallSession.objects.get()
    assert (session.triggered_by_batch_id, session.triggered_by_row_id) == (upload.pk, row.pk)


def test_reader_cannot_call_from_the_admin(rf, reader):
    customer = CustomerFactory()
    request = _request(rf, reader)
    call_customers_now(admin.site._registry[Customer], request, Customer.objects.filter(pk=customer.pk))
    assert not CallSession.objects.exists()
    assert _messages(request) == ["You do not have permission to trigger calls."]


def test_call_session_admin_cancels_a_scheduled_call(admin_client):
    session = CallSessionFactory(status="scheduled")
    response = admin_client.post("/admin/calls/callsession/", {"action": "cancel_calls", "_selected_action": [session.pk]}, follow=True)
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == "canceled" and not session.communication_logs.exists()


def test_call_session_admin_pages_render(admin_client):
    session = CallSessionFactory(status="completed", call_sid="abc")
    session.status_updates.create(status="completed", timestamp=session.created_at)
    assert admin_client.get("/admin/calls/callsession/").status_code == 200
    assert admin_client.get(f"/admin/calls/callsession/{session.pk}/change/").status_code == 200
    assert admin_client.get("/admin/calls/unmatchedcallback/").status_code == 200


@pytest.mark.parametrize("model,action", [
    (Customer, "call_customers_now"), (Debt, "call_debts_now"), (FileUpload, "call_uploads_now"), (UploadRow, "call_upload_rows_now"),
])
def test_call_now_is_last_on_the_lower_apps_changelists(admin_client, model, action):
    # calls adds these from its own admin (the lower apps cannot import it),
    # after each admin's own actions, as when those admins listed them.
    response = admin_client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
    names = [name for name, _label in response.context["action_form"].fields["action"].choices if name]
    assert names[-1] == action and names.count(action) == 1
