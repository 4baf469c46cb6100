"""Admin exports (django-import-export): a permission of their own, and
every text cell escaped against formula injection.

* :class:`SafeModelResource` is the base of every export resource: each
  exported value goes through :func:`core.csvsafe.safe_cell`, whichever the
  format (CSV, XLSX, ...). Native numbers, dates and ``None`` pass unchanged.
* :class:`PermissionedExportMixin` replaces import-export's ``ExportMixin``:
  the export view, the export admin action and the export button all ask for
  ``<app_label>.export_<model_name>`` (a Meta permission on the model, held
  by the Ops admin role). Seeing the list page is not enough: an export is
  every row at once.
"""
from __future__ import annotations

from import_export import resources
from import_export.admin import ExportMixin

from core.csvsafe import safe_cell


def export_permission(opts) -> str:
    """The permission an admin export of the model ``opts`` asks for."""
    return f"{opts.app_label}.export_{opts.model_name}"


class SafeModelResource(resources.ModelResource):
    def export_field(self, field, instance, **kwargs):
        return safe_cell(super().export_field(field, instance, **kwargs))


class PermissionedExportMixin(ExportMixin):
    def has_export_permission(self, request):
        return request.user.is_active and request.user.has_perm(export_permission(self.opts))
