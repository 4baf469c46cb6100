"""The admin app's configuration (``INSTALLED_APPS``: ``core.adminconfig.LazyAdminConfig``).

In its own module: Django picks an app's config class from its ``apps.py``
only when that module holds exactly one, so ``core.apps`` keeps just
``CoreConfig``.
"""
from __future__ import annotations

from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks


class LazyAdminConfig(SimpleAdminConfig):
    """``django.contrib.admin`` without autodiscovery at start-up.

    Django's default admin app imports every app's ``admin.py`` in
    ``django.setup()``, and ours pull in django-import-export (tablib,
    openpyxl, numpy) and the statement services: about 0.35 s and 45 MB in
    every management command, Celery worker and beat that never shows an
    admin page. Here the admin modules are imported when the URLconf is
    (``config/urls.py`` calls ``admin.autodiscover()``), i.e. by the first
    request, and by the admin system checks, which autodiscover before they
    look at the registered admins, so ``manage.py check`` checks them all.
    """

    def ready(self):
        # SimpleAdminConfig.ready() registers these two; the admin check runs
        # on the admins autodiscovery registers, so it autodiscovers first.
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(check_discovered_admins, checks.Tags.admin)


def check_discovered_admins(app_configs, **kwargs):
    from django.contrib.admin import autodiscover  # noqa: PLC0415 — the admin package needs the app registry ready

    autodiscover()
    return check_admin_app(app_configs, **kwargs)
