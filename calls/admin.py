"""Call-session admin, and the "Call now" actions calls adds to the
customer, debt, upload and upload-row changelists (those apps sit below
calls and cannot import it; see ``core.admin``).

Call sessions, their status rows and unmatched callbacks are view-only here
for everyone, superusers included: a call's status, sid, times, duration and
outcome are moved only by the telephony path (dispatch, webhook,
reconciliation in ``calls.services``), and the status rows are the call's
audit trail. People act on calls through the changelist actions, which call
those services: place now, ask the provider, cancel (``change_callsession``),
and Call now on the lower apps' pages (``trigger_call``).
"""
from django.contrib import admin, messages

from calls import services
from calls.admin_actions import call_customers_now, call_debts_now, call_upload_rows_now, call_uploads_now
from calls.models import CallSession, CallStatusUpdate, UnmatchedCallback
from core.admin import add_admin_actions
from core.admin_search import PhoneSearchAdminMixin
from customers.admin import CustomerAdmin
from debts.admin import DebtAdmin
from uploads.admin import FileUploadAdmin, UploadRowAdmin


class CallStatusUpdateInline(admin.TabularInline):
    model = CallStatusUpdate
    extra = 0
    fields = ("timestamp", "status", "message")
    readonly_fields = fields
    can_delete = False
    ordering = ("timestamp",)

    def has_add_permission(self, request, obj=None):
        return False


class ViewOnlyAdminMixin:
    """No add, no delete, and every object's page read-only (a POST to it is
    refused with 403). ``has_change_permission`` without an object (the
    changelist actions' check) still follows the user's permission, so the
    service-backed actions stay available to those who hold it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)


@admin.register(CallSession)
class CallSessionAdmin(PhoneSearchAdminMixin, ViewOnlyAdminMixin, admin.ModelAdmin):
    # The customer's label has the phone; the CallSid is searchable and on the call's page.
    list_display = ("id", "customer", "status", "provider", "initiated_at", "duration_seconds", "triggered_by_batch")
    list_filter = ("status", "provider")
    search_fields = ("call_sid", "to_number", "customer__full_name")
    # A phone however typed finds the customer's calls (core.admin_search).
    phone_search_fields = ("customer__primary_phone", "customer__secondary_phone")
    list_select_related = ("customer", "triggered_by_batch")
    raw_id_fields = ("customer", "debt", "triggered_by_batch", "triggered_by_row")
    inlines = [CallStatusUpdateInline]
    date_hierarchy = "created_at"
    actions = ["dispatch_now", "reconcile_with_provider", "cancel_calls"]

    @admin.action(description="Place now (if due and inside calling hours)", permissions=["change"])
    def dispatch_now(self, request, queryset):
        outcomes: dict[str, int] = {}
        for session_id in queryset.filter(status="scheduled").values_list("id", flat=True)[:200]:
            result = services.call_session_dispatch(session_id=session_id)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        self.message_user(request, ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "No scheduled call selected.")

    @admin.action(description="Ask the provider for the latest status", permissions=["change"])
    def reconcile_with_provider(self, request, queryset):
        outcomes: dict[str, int] = {}
        for session_id in queryset.exclude(call_sid=None).values_list("id", flat=True)[:200]:
            outcome = services.call_session_reconcile(session_id=session_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        self.message_user(request, ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "No placed call selected.")

    @admin.action(description="Cancel scheduled calls", permissions=["change"])
    def cancel_calls(self, request, queryset):
        canceled = 0
        for session_id in queryset.filter(status="scheduled").values_list("id", flat=True)[:1000]:
            try:
                services.call_session_cancel(session_id=session_id, reason="canceled in the admin", user=request.user)
                canceled += 1
            except services.CallNotAllowed as exc:
                self.message_user(request, str(exc), level=messages.WARNING)
        self.message_user(request, f"Canceled {canceled} call(s).")


@admin.register(CallStatusUpdate)
class CallStatusUpdateAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    actions = None
    list_display = ("call_session", "status", "timestamp", "message")
    list_filter = ("status",)
    search_fields = ("call_session__call_sid",)
    list_select_related = ("call_session",)
    raw_id_fields = ("call_session",)


@admin.register(UnmatchedCallback)
class UnmatchedCallbackAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("call_sid", "status", "provider", "received_at", "reconciled_at", "checked_at", "check_result")
    list_filter = ("provider", "status")
    search_fields = ("call_sid",)
    raw_id_fields = ("reconciled_session",)
    readonly_fields = (
        "provider", "call_sid", "status", "payload", "received_at", "reconciled_at", "reconciled_session", "checked_at", "check_result",
    )
    actions = ["confirm_with_provider"]

    @admin.action(description="Ask the provider whether this is the call its CustomField names", permissions=["change"])
    def confirm_with_provider(self, request, queryset):
        outcomes: dict[str, int] = {}
        for callback_id in queryset.filter(reconciled_at__isnull=True).values_list("id", flat=True)[:200]:
            outcome = services.unmatched_callback_confirm(callback_id=callback_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        self.message_user(request, ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "No unmatched callback selected.")


add_admin_actions(CustomerAdmin, call_customers_now)
add_admin_actions(DebtAdmin, call_debts_now)
add_admin_actions(FileUploadAdmin, call_uploads_now)
add_admin_actions(UploadRowAdmin, call_upload_rows_now)
