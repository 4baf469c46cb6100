"""Collections admin. Every write calls ``debts.services``; money fields are
read-only here and move only through the actions (complete, refund, void,
settle, write off), each behind its permission, the last four asking a
reason. Deleting asks the services too: a payment never, a debt only when
no money has touched it.

What debts shows on the customer page (customers sits below debts and
cannot import it) is added by ``debts.admin_customer``, imported here so the
admin autodiscovery loads it.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path
from import_export import fields
from simple_history.admin import SimpleHistoryAdmin

from core.admin import AuditedAdminMixin, ReadOnlyAdminMixin, ServiceAdminMixin, ServiceDeleteAdminMixin, money_column, validation_messages
from core.admin_search import PhoneSearchAdminMixin
from core.exports import PermissionedExportMixin, SafeModelResource
from core.money import format_ugx
from debts import (
    admin_customer,  # noqa: F401  (adds the collections summary and the debts and contacts to the customer page)
    selectors,
    services,
)
from debts.choices import ApprovalStatus, DebtStatus, PaymentStatus, PromiseStatus
from debts.models import ApprovalRequest, CommunicationLog, Debt, Disposition, Payment, PromiseToPay

# A phone typed in any shape in a search box or a picker finds the customer's rows.
_CUSTOMER_PHONES = ("customer__primary_phone", "customer__secondary_phone")


def _is_autocomplete(request, field_name: str) -> bool:
    return request.resolver_match is not None and request.resolver_match.url_name == "autocomplete" and request.GET.get("field_name") == field_name

# The contact form's debt picker follows its customer, the promise form's
# contact picker its debt (the script adds the parameter to the picker's search).
DEPENDENT_PICKERS_JS = ("admin/js/jquery.init.js", "debts/dependent_pickers.js")


def _copy_into(obj, saved) -> None:
    # The admin goes on with its own instance (log entry, redirect).
    obj.pk = saved.pk
    obj.refresh_from_db()


def _run_each(modeladmin, request, queryset, label: str, call) -> None:
    """Apply ``call`` to each selected object in its own transaction; report
    how many succeeded and why each failure failed."""
    done, failed = 0, []
    for obj in queryset:
        try:
            with transaction.atomic():
                call(obj)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            reason = "; ".join(validation_messages(exc)) if isinstance(exc, ValidationError) else str(exc)
            failed.append(f"{obj}: {reason}")
    if done:
        modeladmin.message_user(request, f"{label}: {done} done.", messages.SUCCESS)
    for failure in failed:
        modeladmin.message_user(request, f"{label} refused — {failure}", messages.ERROR)


def _run_each_or_request(modeladmin, request, queryset, label: str, call) -> None:
    """``_run_each`` for the four-eyes doors: ``call`` answers ``(done,
    approval_request)``; an action above APPROVAL_THRESHOLD_UGX is reported
    as sent for approval, not as done."""
    requested = []

    def run(obj):
        _done, approval = call(obj)
        if approval is not None:
            requested.append(f"{obj} (request #{approval.pk})")

    _run_each(modeladmin, request, queryset, label, run)
    if requested:
        modeladmin.message_user(
            request, f"{label}: above the approval threshold, sent for approval by another person — {', '.join(requested)}.", messages.WARNING
        )


def _intermediate(modeladmin, request, queryset, *, form, title: str, action: str, per_object=None):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "per_object": per_object or [],
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "debts/action_form.html", context)


# --------------------------------------------------------------------------
# exports: personal data masked


class DebtResource(SafeModelResource):
    account_number = fields.Field(attribute="masked_account_number", column_name="account_number", readonly=True)

    class Meta:
        model = Debt
        exclude = ("account_number_hash",)


class PaymentResource(SafeModelResource):
    class Meta:
        model = Payment


# --------------------------------------------------------------------------
# debts


class AssignForm(forms.Form):
    agent = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"), required=False,
        help_text="Leave empty to unassign. Only open debts are assigned; each gets a history row.",
    )
    reason = forms.CharField(required=False, max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Required. Recorded with your name on each one and in its history.")


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("payment_date", "amount_ugx", "status", "payment_method", "transaction_id")
    readonly_fields = fields
    amount_ugx = staticmethod(money_column("amount", "Amount"))
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PromiseInline(admin.TabularInline):
    model = PromiseToPay
    extra = 0
    fields = ("promised_date", "amount_ugx", "status", "amount_paid_ugx", "evaluated_at")
    readonly_fields = fields
    amount_ugx = staticmethod(money_column("amount", "Amount"))
    amount_paid_ugx = staticmethod(money_column("amount_paid", "Paid"))
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DebtAdminForm(forms.ModelForm):
    account_number = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted. Leave blank to keep the stored value.",
    )
    current_balance = forms.DecimalField(
        required=False, max_digits=16, decimal_places=2, help_text="Defaults to the original amount."
    )

    class Meta:
        model = Debt
        fields = "__all__"

    def clean_account_number(self):
        value = (self.cleaned_data.get("account_number") or "").strip()
        if not value and self.instance.pk:
            return self.instance.account_number
        return value


AGING_GROUP_LABELS = [("branch_cluster", "Cluster and branch"), ("cluster", "Cluster"), ("branch", "Branch"), ("none", "Totals only")]

MONEY_AND_STATE = (
    "current_balance", "status", "days_past_due", "last_payment_date", "last_payment_amount", "settled_amount",
    "closed_at", "closed_by", "closed_reason",
)


@admin.register(Debt)
class DebtAdmin(PhoneSearchAdminMixin, ServiceDeleteAdminMixin, ServiceAdminMixin, AuditedAdminMixin, PermissionedExportMixin, SimpleHistoryAdmin):
    form = DebtAdminForm
    resource_classes = [DebtResource]
    change_list_template = "debts/debt_change_list.html"
    list_display = (
        "loan_id", "customer", money_column("original_amount", "Principal", currency_field="currency"),
        money_column("current_balance", "Balance", currency_field="currency"), "status", "due_date", "days_past_due", "branch", "assigned_to",
    )
    list_filter = ("status", "debt_type", "cluster", "branch")
    search_fields = ("loan_id", "reference_number", "customer__full_name")
    phone_search_fields = _CUSTOMER_PHONES
    list_select_related = ("customer", "assigned_to")
    autocomplete_fields = ("customer",)
    inlines = [PaymentInline, PromiseInline]
    date_hierarchy = "due_date"
    actions = ["settle_debts", "write_off_debts", "move_to_collection", "assign_debts"]  # calls adds "Call now"
    history_list_display = ["status", "current_balance", "days_past_due"]

    def get_queryset(self, request):
        # A debt's label names its customer (Debt.__str__): joined, not one query per picker result.
        return super().get_queryset(request).select_related("customer")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        customer = request.GET.get("customer", "")
        if _is_autocomplete(request, "debt") and customer.isdigit():
            # The contact form's debt picker, narrowed to the chosen customer (debts/static/debts/dependent_pickers.js).
            queryset = queryset.filter(customer_id=int(customer))
        return queryset, may_have_duplicates

    # Money that is only shown (never typed here) reads "UGX 1,250,000".
    original_amount_ugx = staticmethod(money_column("original_amount", "Original amount", currency_field="currency"))
    current_balance_ugx = staticmethod(money_column("current_balance", "Current balance", currency_field="currency"))
    last_payment_amount_ugx = staticmethod(money_column("last_payment_amount", "Last payment amount", currency_field="currency"))
    settled_amount_ugx = staticmethod(money_column("settled_amount", "Settled amount", currency_field="currency"))

    def get_fieldsets(self, request, obj=None):
        money = ("original_amount", "current_balance") if obj is None else ("original_amount_ugx", "current_balance_ugx")
        return (
            (None, {"fields": ("customer", "loan_id", "debt_type", "currency", "reference_number", "masked_account_number", "account_number")}),
            ("Money", {"fields": (*money, "due_amount", "interest_rate", "minimum_payment")}),
            ("Dates", {"fields": ("issue_date", "due_date", "last_payment_date", "last_payment_amount_ugx")}),
            ("Status", {"fields": ("status", "days_past_due", "settled_amount_ugx", "closed_at", "closed_by", "closed_reason")}),
            ("Branch", {"fields": ("state", "cluster", "branch", "branch_contact", "employee_name", "employee_id", "employee_contact")}),
            (None, {"fields": ("notes", "source_upload", "created_at", "updated_at")}),
        )

    def get_readonly_fields(self, request, obj=None):
        always = (
            "masked_account_number", "source_upload", "created_at", "updated_at", "last_payment_date", "last_payment_amount",
            "last_payment_amount_ugx", "settled_amount_ugx",
        )
        if obj is None:
            return (*always, *[f for f in MONEY_AND_STATE if f != "current_balance"])
        return (*always, "customer", "original_amount", "original_amount_ugx", "current_balance_ugx", *MONEY_AND_STATE)

    @admin.display(description="Account number")
    def masked_account_number(self, obj):
        return obj.masked_account_number if obj else ""

    def delete_check(self, obj):
        services.debt_check_deletable(debt=obj)

    def delete_service(self, obj, user):
        services.debt_delete(debt_id=obj.pk, deleted_by=user)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.DEBT_EDITABLE_FIELDS}
        if change:
            saved = services.debt_update(debt_id=obj.pk, data=data, updated_by=request.user)
        else:
            fields_ = {n: form.cleaned_data[n] for n in services.DEBT_EDITABLE_FIELDS if n in form.cleaned_data}
            saved = services.debt_create(
                customer_id=obj.customer_id,
                original_amount=form.cleaned_data["original_amount"],
                current_balance=form.cleaned_data.get("current_balance"),
                created_by=request.user,
                **fields_,
            )
        _copy_into(obj, saved)

    # -- actions -----------------------------------------------------------

    def has_settle_permission(self, request):
        return request.user.has_perm("debts.settle_debt")

    def has_write_off_permission(self, request):
        return request.user.has_perm("debts.write_off_debt")

    @admin.action(description="Settle selected debts for less…", permissions=["settle"])
    def settle_debts(self, request, queryset):
        queryset = queryset.select_related("customer")
        rows = [(debt, f"amount_{debt.pk}") for debt in queryset]
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            def settle(debt):
                return services.settle_or_request(
                    debt_id=debt.pk, settled_amount=request.POST.get(f"amount_{debt.pk}", "").strip(),
                    user=request.user, reason=form.cleaned_data["reason"],
                )
            _run_each_or_request(self, request, queryset, "Settle", settle)
            return None
        return _intermediate(self, request, queryset, form=form, title="Settle debts for less", action="settle_debts", per_object=rows)

    @admin.action(description="Write off selected debts…", permissions=["write_off"])
    def write_off_debts(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            _run_each_or_request(self, request, queryset, "Write off", lambda debt: services.write_off_or_request(
                debt_id=debt.pk, user=request.user, reason=form.cleaned_data["reason"]))
            return None
        return _intermediate(self, request, queryset.select_related("customer"), form=form, title="Write off debts", action="write_off_debts")

    def has_assign_permission(self, request):
        return request.user.has_perm("debts.assign_debt")

    @admin.action(description="Assign selected debts to an agent…", permissions=["assign"])
    def assign_debts(self, request, queryset):
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                moved = services.debts_assign(
                    debt_ids=list(queryset.values_list("pk", flat=True)), to_user=form.cleaned_data["agent"],
                    assigned_by=request.user, reason=form.cleaned_data["reason"],
                )
            except (ValidationError, PermissionDenied) as exc:
                reason = "; ".join(validation_messages(exc)) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"Assign refused — {reason}", messages.ERROR)
                return None
            agent = form.cleaned_data["agent"]
            self.message_user(request, f"{moved} debt(s) {'assigned to ' + agent.get_username() if agent else 'unassigned'}.", messages.SUCCESS)
            return None
        return _intermediate(self, request, queryset.select_related("customer"), form=form, title="Assign debts", action="assign_debts")

    @admin.action(description="Move selected debts to collection", permissions=["change"])
    def move_to_collection(self, request, queryset):
        _run_each(self, request, queryset, "Move to collection", lambda debt: services.debt_change_status(
            debt_id=debt.pk, status=DebtStatus.IN_COLLECTION, changed_by=request.user, reason="moved to collection in admin"))

    # -- aging report ------------------------------------------------------

    def get_urls(self):
        return [
            path("aging-report/", self.admin_site.admin_view(self.aging_report_view), name="debts_debt_aging_report"),
            *super().get_urls(),
        ]

    def aging_report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        group_by = request.GET.get("group_by", "branch_cluster")
        if group_by not in selectors.AGING_GROUPS:
            group_by = "branch_cluster"
        report = selectors.aging_report(group_by=group_by)
        chart = {
            "labels": [b["label"] for b in report["totals"]["buckets"]],
            "counts": [b["count"] for b in report["totals"]["buckets"]],
            "balances": [str(b["balance"]) for b in report["totals"]["buckets"]],
        }
        context = {
            **self.admin_site.each_context(request),
            "title": "Aging report",
            "opts": self.model._meta,
            "report": report,
            "group_by": group_by,
            "group_choices": AGING_GROUP_LABELS,
            "chart": chart,  # json_script serialises it
            "group_label": dict(AGING_GROUP_LABELS)[group_by],
        }
        return TemplateResponse(request, "debts/aging_report.html", context)


# --------------------------------------------------------------------------
# payments


class PaymentAdminForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = "__all__"
        help_texts = {"status": "PENDING, or COMPLETED to apply it to the balance at once."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "customer" in self.fields:
            # Optional: the debt names its customer. Naming another is refused by the service.
            self.fields["customer"].required = False
            self.fields["customer"].help_text = "Leave blank for the debt's customer."


@admin.register(Payment)
class PaymentAdmin(PhoneSearchAdminMixin, ServiceDeleteAdminMixin, ServiceAdminMixin, AuditedAdminMixin, PermissionedExportMixin, SimpleHistoryAdmin):
    form = PaymentAdminForm
    resource_classes = [PaymentResource]
    # The debt's label names the customer (loan · name ··phone tail · balance);
    # the transaction id is searchable and on the payment's page.
    list_display = ("id", "debt", money_column("amount", "Amount"), "status", "payment_method", "payment_date")
    list_filter = ("status", "payment_method")
    search_fields = ("transaction_id", "debt__loan_id", "customer__full_name")
    phone_search_fields = _CUSTOMER_PHONES
    list_select_related = ("debt__customer",)
    autocomplete_fields = ("debt", "customer")
    date_hierarchy = "payment_date"
    actions = ["complete_payments", "refund_payments", "void_payments"]
    history_list_display = ["status", "amount"]

    # A recorded payment's amount is only shown: "UGX 1,250,000".
    amount_ugx = staticmethod(money_column("amount", "Amount"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("debt", "customer", "amount", "payment_date", "payment_method", "transaction_id", "status", "notes")
        return (
            "debt", "customer", "amount_ugx", "payment_date", "payment_method", "transaction_id", "status", "notes",
            "completed_at", "refunded_at", "refund_reason", "refunded_by", "voided_at", "void_reason", "voided_by",
            "failure_reason", "recorded_by", "created_at", "updated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        locked = (
            "debt", "customer", "amount", "amount_ugx", "status", "completed_at", "refunded_at", "refund_reason", "refunded_by",
            "voided_at", "void_reason", "voided_by", "failure_reason", "recorded_by", "created_at", "updated_at",
        )
        if obj.status != PaymentStatus.PENDING:
            locked += ("payment_date", "transaction_id")
        return locked

    # A payment is never deleted (debts.services.payments): no delete button,
    # no "delete selected"; the delete URL answers with the service's refusal.
    def has_delete_permission(self, request, obj=None):
        return False

    def delete_check(self, obj):
        services.payment_check_deletable(payment=obj)

    def delete_service(self, obj, user):
        services.payment_delete(payment_id=obj.pk, deleted_by=user)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = [(PaymentStatus.PENDING, "Pending"), (PaymentStatus.COMPLETED, "Completed")]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            data = {n: form.cleaned_data[n] for n in form.changed_data if n in services.PAYMENT_EDITABLE_WHILE_PENDING}
            saved = services.payment_update(payment_id=obj.pk, data=data, updated_by=request.user)
        else:
            saved = services.payment_create(
                debt_id=obj.debt_id, amount=obj.amount, payment_date=obj.payment_date, payment_method=obj.payment_method,
                transaction_id=obj.transaction_id, status=obj.status, notes=obj.notes, recorded_by=request.user,
                customer_id=obj.customer_id,
            )
        _copy_into(obj, saved)

    def has_refund_permission(self, request):
        return request.user.has_perm("debts.refund_payment")

    def has_void_permission(self, request):
        return request.user.has_perm("debts.void_payment")

    @admin.action(description="Complete selected pending payments", permissions=["change"])
    def complete_payments(self, request, queryset):
        _run_each(self, request, queryset.select_related("debt"), "Complete",
                  lambda p: services.payment_complete(payment_id=p.pk, completed_by=request.user))

    @admin.action(description="Refund selected completed payments…", permissions=["refund"])
    def refund_payments(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            _run_each_or_request(self, request, queryset.select_related("debt"), "Refund", lambda p: services.refund_or_request(
                payment_id=p.pk, user=request.user, reason=form.cleaned_data["reason"]))
            return None
        return _intermediate(self, request, queryset.select_related("debt"), form=form, title="Refund payments", action="refund_payments")

    @admin.action(description="Void selected pending payments…", permissions=["void"])
    def void_payments(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            _run_each(self, request, queryset.select_related("debt"), "Void", lambda p: services.payment_void(
                payment_id=p.pk, voided_by=request.user, reason=form.cleaned_data["reason"]))
            return None
        return _intermediate(self, request, queryset.select_related("debt"), form=form, title="Void payments", action="void_payments")


# --------------------------------------------------------------------------
# contacts and promises

LOG_FIELDS = (
    "customer", "debt", "call_session", "communication_type", "direction", "timestamp", "duration_seconds",
    "contact_phone", "contact_email", "disposition", "next_action_date", "notes", "agent_id", "agent_user",
)


@admin.register(CommunicationLog)
class CommunicationLogAdmin(PhoneSearchAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("timestamp", "customer", "communication_type", "disposition", "next_action_date", "agent_id")
    list_filter = ("communication_type", "direction", "disposition")
    search_fields = ("customer__full_name", "contact_phone", "contact_email", "agent_id", "notes")
    phone_search_fields = _CUSTOMER_PHONES
    list_select_related = ("customer", "disposition")
    autocomplete_fields = ("customer", "debt")
    raw_id_fields = ("call_session",)

    class Media:
        js = DEPENDENT_PICKERS_JS

    def get_queryset(self, request):
        # A contact's label names its customer and disposition (the promise form's picker).
        return super().get_queryset(request).select_related("customer", "disposition")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        debt = request.GET.get("debt", "")
        if _is_autocomplete(request, "communication_log") and debt.isdigit():
            # The promise form's contact picker, narrowed to the chosen debt's customer.
            queryset = queryset.filter(customer__debts=int(debt))
        return queryset, may_have_duplicates

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "disposition":
            kwargs["queryset"] = Disposition.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
    date_hierarchy = "timestamp"
    fields = LOG_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            # The agent is the person logged in (debts.services.contacts).
            return ("agent_id", "agent_user")
        return tuple(f for f in LOG_FIELDS if f not in services.COMMUNICATION_LOG_EDITABLE)

    def save_model(self, request, obj, form, change):
        if change:
            data = {n: form.cleaned_data[n] for n in form.changed_data if n in services.COMMUNICATION_LOG_EDITABLE}
            saved = services.communication_log_update(log_id=obj.pk, data=data)
        else:
            saved = services.communication_log_create(
                customer_id=obj.customer_id, debt_id=obj.debt_id, call_session_id=obj.call_session_id,
                communication_type=obj.communication_type, direction=obj.direction, timestamp=obj.timestamp,
                duration_seconds=obj.duration_seconds, contact_phone=obj.contact_phone, contact_email=obj.contact_email,
                disposition=obj.disposition, next_action_date=obj.next_action_date, notes=obj.notes, agent_user=request.user,
            )
        _copy_into(obj, saved)


@admin.register(PromiseToPay)
class PromiseToPayAdmin(PhoneSearchAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("debt", money_column("amount", "Amount"), "promised_date", "status", money_column("amount_paid", "Paid"))
    list_filter = ("status",)
    search_fields = ("customer__full_name", "debt__loan_id")
    phone_search_fields = _CUSTOMER_PHONES
    list_select_related = ("debt__customer",)
    # The contact is picked by its label (when, who, how, disposition), not a raw id.
    autocomplete_fields = ("debt", "communication_log")

    class Media:
        js = DEPENDENT_PICKERS_JS

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("debt", "communication_log", "amount", "promised_date", "notes")
        return ("customer", "debt", "communication_log", "amount", "promised_date", "status", "amount_paid", "evaluated_at", "created_by", "notes")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("customer", "debt", "communication_log", "amount", "promised_date", "amount_paid", "evaluated_at", "created_by")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = [(PromiseStatus.PENDING, "Pending"), (PromiseStatus.CANCELLED, "Cancelled")]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            data = {n: form.cleaned_data[n] for n in form.changed_data if n in ("notes", "status")}
            saved = services.promise_update(promise_id=obj.pk, data=data)
        else:
            saved = services.promise_create(
                debt_id=obj.debt_id, amount=obj.amount, promised_date=obj.promised_date,
                communication_log_id=obj.communication_log_id, created_by=request.user, notes=obj.notes,
            )
        _copy_into(obj, saved)


# --------------------------------------------------------------------------
# dispositions and four-eyes approvals


@admin.register(Disposition)
class DispositionAdmin(admin.ModelAdmin):
    # Reference data ops manage: what came of a contact. A disposition in use
    # cannot be deleted (the logs protect it); deactivate it instead.
    list_display = ("label", "code", "active", "is_right_party_contact", "needs_next_action", "sort_order")
    list_editable = ("active", "sort_order")
    list_filter = ("active", "is_right_party_contact", "needs_next_action")
    search_fields = ("code", "label")
    ordering = ("sort_order", "label")

    def get_readonly_fields(self, request, obj=None):
        # The code is what logs, filters and the API name: fixed once made.
        return ("code",) if obj else ()


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                           help_text="Required to reject; kept on the request and in its history.")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("id", "kind", "debt", "payment", "amount_display", "status", "requested_by", "created_at", "decided_by", "decided_at")
    list_filter = ("status", "kind")
    search_fields = ("debt__loan_id", "debt__customer__full_name", "reason")
    list_select_related = ("debt__customer", "payment", "requested_by", "decided_by")
    readonly_fields = (
        "kind", "debt", "payment", "amount", "settled_amount", "reason", "status", "requested_by", "decided_by", "decided_at", "note",
        "created_at", "updated_at",
    )
    actions = ["approve_requests", "reject_requests"]
    date_hierarchy = "created_at"

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return format_ugx(obj.amount, obj.debt.currency)

    # Requests are made at the settle, write-off and refund doors and decided
    # by the actions below: never added, edited or deleted by hand (ReadOnlyAdminMixin).

    def has_approve_permission(self, request):
        return request.user.has_perm("debts.approve_request")

    def _decide(self, request, queryset, *, action: str, label: str, call):
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            _run_each(self, request, queryset, label, lambda req: call(req, form.cleaned_data["note"]))
            return None
        return _intermediate(self, request, queryset, form=form, title=f"{label} requests", action=action)

    @admin.action(description="Approve and carry out selected requests…", permissions=["approve"])
    def approve_requests(self, request, queryset):
        def approve(req, note):
            done = services.approval_approve(request_id=req.pk, decided_by=request.user, note=note)
            if done.status != ApprovalStatus.APPROVED:
                # Not raised: the request's FAILED state and note must stay.
                self.message_user(request, f"Request #{done.pk} approved but refused when carried out: {done.note}", messages.ERROR)
        return self._decide(request, queryset, action="approve_requests", label="Approve", call=approve)

    @admin.action(description="Reject selected requests…", permissions=["approve"])
    def reject_requests(self, request, queryset):
        return self._decide(request, queryset, action="reject_requests", label="Reject",
                            call=lambda req, note: services.approval_reject(request_id=req.pk, decided_by=request.user, note=note))
