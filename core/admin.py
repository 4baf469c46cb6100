"""Admin building blocks shared by every app: admins for huge tables, admins
whose writes go through services, and the hooks an app uses to add to a
lower app's admin.

The hooks. The layers run calls → uploads → debts | statements → details →
customers → core, and an app imports only from below. A lower app's admin
page may still show a higher app's work ("Call now" on a customer, the debts
on a customer's page), so the higher app adds it from its own admin.py,
which Django's admin autodiscovery imports before the first request. calls'
admin.py imports ``CustomerAdmin`` from ``customers.admin`` (a lower app:
allowed) and says::

    add_admin_actions(CustomerAdmin, call_customers_now)

Importing the lower admin class (rather than looking the model up in
``admin.site._registry``) makes Python load and register it first, whatever
the order of INSTALLED_APPS. The additions go onto the class, which the
registered instance reads at every request, so the page is the same as if
the lower admin had listed them itself. No registry to consult at request
time, no signal: three functions, :func:`add_admin_actions`,
:func:`add_admin_inlines` and :func:`add_admin_panel` (the last needs
:class:`PanelsAdminMixin` on the lower admin).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from core.money import format_amount, format_ugx


class EstimatedCountPaginator(Paginator):
    """Paginator for huge tables (transactions, upload rows).

    ``COUNT(*)`` over millions of InnoDB rows takes seconds; above a threshold
    we show the optimizer's estimate instead, which is what an ops person
    paging through a changelist needs anyway.
    """

    threshold = 100_000

    @cached_property
    def count(self):
        query = self.object_list.query
        if connection.vendor == "mysql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] and row[0] > self.threshold:
                return int(row[0])
        return super().count


class ReadOnlyAdminMixin:
    """Rows written only by the engine or a service: viewable, never added,
    changed or deleted by hand (service-backed actions still run, each
    with its own permission)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HugeTableAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 100


# --------------------------------------------------------------------------
# admins whose writes go through services


def validation_messages(exc: ValidationError) -> list[str]:
    """A service's ValidationError as lines an ops person reads ("field: message")."""
    if hasattr(exc, "error_dict"):
        return [f"{field}: {msg}" if field != "__all__" else msg for field, msgs in exc.message_dict.items() for msg in msgs]
    return list(exc.messages)


class ServiceAdminMixin:
    """Admin whose saves call services: a service's ValidationError becomes a
    message on the page instead of a server error, and nothing is saved (the
    admin's own transaction rolls back).

    The refused form comes back with what was typed in it and the service's
    reasons on their fields: the POST is validated a second time with the
    refusal added to the form's errors, so the admin re-renders the bound
    form as for any invalid input (an overpayment refused by the service
    does not wipe the payment form)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, "Not saved: " + "; ".join(validation_messages(exc)), messages.ERROR)
            if request.method != "POST" or getattr(request, "_service_refusal", None) is not None:
                return HttpResponseRedirect(request.get_full_path())
            request._service_refusal = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if hasattr(refusal, "error_dict"):
                    for field, errors in refusal.error_dict.items():
                        self.add_error(field if field in self.fields else None, errors)
                else:
                    self.add_error(None, refusal.messages)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm


class AuditedAdminMixin:
    """History is shown but never reverted: a revert would write old money
    values past the services."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ServiceDeleteAdminMixin:
    """Admin whose deletes ask a service: the single delete page and the
    "delete selected" action show the service's refusal (and delete
    nothing); an allowed delete is made by the service.

    Set ``delete_check(obj)`` (raises ``ValidationError`` when ``obj`` may not
    be deleted) and ``delete_service(obj, user)``, both calling services.
    """

    def delete_check(self, obj) -> None:
        raise NotImplementedError

    def delete_service(self, obj, user) -> None:
        raise NotImplementedError

    def _delete_refusal(self, obj) -> str | None:
        try:
            self.delete_check(obj)
        except ValidationError as exc:
            return "; ".join(validation_messages(exc))
        return None

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        refusal = self._delete_refusal(obj) if obj is not None and self.has_view_or_change_permission(request, obj) else None
        if refusal:
            self.message_user(request, f"Not deleted: {refusal}", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = [refusal for obj in objs if (refusal := self._delete_refusal(obj))]
        if refusals:
            # The service's reasons are what the page shows (Django lists
            # missing permissions before protected objects, so drop those).
            return deleted, model_count, set(), [*refusals, *protected]
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        self.delete_service(obj, request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_service(obj, request.user)


def money_column(field: str, label: str, *, currency_field: str | None = None, code: bool = True) -> Callable:
    """A list_display column showing the money ``field`` as ``UGX 1,250,000``
    (``core.money.format_ugx``; the row's currency when ``currency_field``
    names it), sortable by the field. ``code=False`` leaves the currency code
    out (``1,250,000``) for tables of amounts whose header names it."""

    @admin.display(description=label, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        if not code:
            return format_html('<span class="money">{}</span>', format_amount(value))
        currency = getattr(obj, currency_field, None) if currency_field else None
        return format_html('<span class="money">{}</span>', format_ugx(value, currency))

    column.__name__ = f"{field}_ugx"
    return column


def summary_html(rows: Iterable[tuple[str, Any]]) -> str:
    """``(label, value)`` rows as the small two-column table the admin shows in a read-only panel."""
    return format_html(
        "<table><tbody>{}</tbody></table>",
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
    )


# --------------------------------------------------------------------------
# what apps above an app add to its admin (see the module docstring)


def add_admin_actions(admin_class: type[admin.ModelAdmin], *actions: Callable) -> None:
    """Append ``actions`` to ``admin_class``'s changelist actions (after its own)."""
    admin_class.actions = [*(admin_class.actions or ()), *actions]


def add_admin_inlines(admin_class: type[admin.ModelAdmin], *inlines: type[InlineModelAdmin]) -> None:
    """Append ``inlines`` to ``admin_class``'s inlines (after its own)."""
    admin_class.inlines = [*admin_class.inlines, *inlines]


class PanelsAdminMixin:
    """Read-only panels at the top of an existing object's change page, each
    added by an app above this admin's own with :func:`add_admin_panel`
    (debts puts the collections summary on the customer page)."""

    panels: tuple[tuple[str, str], ...] = ()  # (fieldset title, read-only field name)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*((title, {"fields": (name,)}) for title, name in self.panels), *fieldsets]

    def get_readonly_fields(self, request, obj=None):
        return (*(name for _title, name in self.panels), *super().get_readonly_fields(request, obj))


def add_admin_panel(admin_class: type[PanelsAdminMixin], *, name: str, title: str, label: str, render: Callable[[Any], str]) -> None:
    """Show ``render(obj)`` (safe HTML) in a panel titled ``title`` at the top of ``admin_class``'s change page.

    ``name`` becomes a read-only field (a method of the admin, labelled
    ``label``), as if the admin had declared it: the page's markup is the same.
    """

    @admin.display(description=label)
    def panel(self, obj):
        return render(obj)

    panel.__name__ = name
    setattr(admin_class, name, panel)
    admin_class.panels = (*admin_class.panels, (title, name))
