from django.contrib import admin

from calls.models import CallSession, CallStatusUpdate, UnmatchedCallback


class CallStatusUpdateInline(admin.TabularInline):
    model = CallStatusUpdate
    extra = 0
    fields = ("timestamp", "status", "message")
    readonly_fields = fields
    can_delete = False
    ordering = ("timestamp",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CallSession)
class CallSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "to_number", "status", "provider", "call_sid", "initiated_at", "duration_seconds", "triggered_by_batch")
    list_filter = ("status", "provider")
    search_fields = ("call_sid", "to_number", "customer__full_name")
    list_select_related = ("customer", "triggered_by_batch")
    raw_id_fields = ("customer", "debt", "triggered_by_batch", "triggered_by_row")
    readonly_fields = ("call_sid", "initiated_at", "answered_at", "ended_at", "duration_seconds", "recording_url", "provider_data", "created_at", "updated_at")
    inlines = [CallStatusUpdateInline]
    date_hierarchy = "created_at"


@admin.register(CallStatusUpdate)
class CallStatusUpdateAdmin(admin.ModelAdmin):
    list_display = ("call_session", "status", "timestamp", "message")
    list_filter = ("status",)
    search_fields = ("call_session__call_sid",)
    list_select_related = ("call_session",)
    raw_id_fields = ("call_session",)


@admin.register(UnmatchedCallback)
class UnmatchedCallbackAdmin(admin.ModelAdmin):
    list_display = ("call_sid", "status", "provider", "received_at", "reconciled_at")
    list_filter = ("provider", "status")
    search_fields = ("call_sid",)
    raw_id_fields = ("reconciled_session",)
