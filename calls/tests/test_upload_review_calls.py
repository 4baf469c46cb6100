"""A loan-book line waiting for review places no call (issue 19): "Call now"
on the upload calls the customers its applied lines matched, never the
candidate of a line still under review."""
import io

import pytest

from calls.models import CallSession
from calls.services import call_sessions_create_for_upload
from customers.models import Customer
from uploads.choices import RowStatus
from uploads.models import UploadRow
from uploads.services import file_upload_create, file_upload_process, upload_row_resolve

pytestmark = pytest.mark.django_db


def _import(text: str, user=None, **kwargs):
    upload = file_upload_create(fileobj=io.BytesIO(text.encode()), filename="book.csv", uploaded_by=user, enqueue=False, **kwargs)
    return file_upload_process(upload_id=upload.pk)


def test_call_now_on_an_upload_skips_the_line_waiting_for_review(agent, ops_admin, django_capture_on_commit_callbacks):
    _import("name,phone,loan_id,amount\nJoseph Okello,0772123456,LN-15,1000\n", may_sync_balances=True)
    joseph = Customer.objects.get()
    upload = _import("name,phone,loan_id,amount\nIvan Opio,0772123456,LN-99,500\nRuth Akello,0782000444,LN-21,3000\n", user=agent)
    waiting = UploadRow.objects.get(file_upload=upload, status=RowStatus.NEEDS_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        result = call_sessions_create_for_upload(upload_id=upload.pk, triggered_by=agent)
    assert {s["row"]: s["reason"] for s in result.skipped} == {waiting.pk: "row matched no customer"}
    assert not CallSession.objects.filter(customer=joseph).exists()
    assert CallSession.objects.filter(triggered_by_row__file_upload=upload).count() == 1

    upload_row_resolve(row_id=waiting.pk, decision="attach", user=ops_admin)
    with django_capture_on_commit_callbacks(execute=True):
        call_sessions_create_for_upload(upload_id=upload.pk, row_ids=[waiting.pk], triggered_by=agent)
    assert CallSession.objects.filter(customer=joseph, triggered_by_row=waiting).count() == 1
