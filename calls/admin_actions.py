""""Call now" admin actions for other apps' changelists.

``calls/admin.py`` adds them to the customers, debts and uploads admins
(apps below calls, which cannot import it). Each one schedules calls through
``calls.services`` like the API does and reports what was scheduled and
what was skipped and why.
"""
from __future__ import annotations

from django.contrib import admin, messages

from calls import services


def _may_call(modeladmin, request) -> bool:
    # Placing a call is its own permission (the agent role holds it without
    # add_callsession): the session is created by the service, never a form.
    if request.user.has_perm("calls.trigger_call"):
        return True
    modeladmin.message_user(request, "You do not have permission to trigger calls.", level=messages.ERROR)
    return False


def _report(modeladmin, request, result: services.BatchResult) -> None:
    if result.created:
        modeladmin.message_user(request, f"Scheduled {len(result.created)} call(s).", level=messages.SUCCESS)
    if result.skipped:
        reasons = "; ".join(s["reason"] for s in result.skipped[:5])
        more = f" (and {len(result.skipped) - 5} more)" if len(result.skipped) > 5 else ""
        modeladmin.message_user(request, f"Skipped {len(result.skipped)}: {reasons}{more}", level=messages.WARNING)


def _run(modeladmin, request, targets: list[services.CallTarget], **kwargs) -> None:
    try:
        result = services.call_sessions_create_batch(targets=targets, triggered_by=request.user, **kwargs)
    except services.CallNotAllowed as exc:
        modeladmin.message_user(request, str(exc), level=messages.ERROR)
        return
    _report(modeladmin, request, result)


@admin.action(description="Call now")
def call_customers_now(modeladmin, request, queryset):
    """For the Customer changelist."""
    if _may_call(modeladmin, request):
        ids = queryset.order_by("id").values_list("id", flat=True)[: services.MAX_BATCH_SIZE + 1]
        _run(modeladmin, request, [services.CallTarget(customer_id=pk) for pk in ids])


@admin.action(description="Call now (about this debt)")
def call_debts_now(modeladmin, request, queryset):
    """For the Debt changelist: the call is linked to the debt."""
    if _may_call(modeladmin, request):
        rows = queryset.order_by("-current_balance", "id").values_list("customer_id", "id")[: services.MAX_BATCH_SIZE + 1]
        _run(modeladmin, request, [services.CallTarget(customer_id=c, debt_id=d) for c, d in rows])


@admin.action(description="Call now (matched customers)")
def call_upload_rows_now(modeladmin, request, queryset):
    """For the UploadRow changelist: each call remembers its row and upload."""
    if not _may_call(modeladmin, request):
        return
    by_upload: dict[int, list[int]] = {}
    for row_id, upload_id in queryset.order_by("file_upload_id", "line_number").values_list("id", "file_upload_id")[: services.MAX_BATCH_SIZE + 1]:
        by_upload.setdefault(upload_id, []).append(row_id)
    total = services.BatchResult()
    for upload_id, row_ids in by_upload.items():
        try:
            result = services.call_sessions_create_for_upload(upload_id=upload_id, row_ids=row_ids, triggered_by=request.user)
        except services.CallNotAllowed as exc:
            modeladmin.message_user(request, str(exc), level=messages.ERROR)
            continue
        total.created += result.created
        total.skipped += result.skipped
    _report(modeladmin, request, total)


@admin.action(description="Call every matched row of these uploads")
def call_uploads_now(modeladmin, request, queryset):
    """For the FileUpload changelist."""
    if not _may_call(modeladmin, request):
        return
    total = services.BatchResult()
    for upload_id in queryset.values_list("id", flat=True)[:20]:
        result = services.call_sessions_create_for_upload(upload_id=upload_id, triggered_by=request.user)
        total.created += result.created
        total.skipped += result.skipped
    _report(modeladmin, request, total)
