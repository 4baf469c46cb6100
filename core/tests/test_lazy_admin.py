"""The admin's modules load with the URLconf, not in every process that sets
Django up (core.adminconfig.LazyAdminConfig): a management command, a Celery worker
or beat starts without them, a web process and ``manage.py check`` see every
admin."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings

from core.apps import CoreConfig

ROOT = Path(settings.BASE_DIR)

PROBE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
seen = {"after_setup": [m for m in ("statements.admin", "debts.admin", "import_export.admin") if m in sys.modules]}
from django.contrib import admin
seen["registered_after_setup"] = len(admin.site._registry)
import config.urls  # what the first request does
seen["registered_with_urls"] = sorted(f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry)
print(json.dumps(seen))
"""


def test_setup_alone_imports_no_admin_module_and_the_urlconf_registers_them_all():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["after_setup"] == []
    assert seen["registered_after_setup"] == 0
    registered = set(seen["registered_with_urls"])
    # One admin of each app, the lower apps' and the higher apps' alike.
    assert {"customers.customer", "debts.debt", "statements.statement", "uploads.fileupload", "calls.callsession",
            "reports.portfoliosummary", "auth.user"} <= registered


def test_core_keeps_its_own_app_config():
    # Django takes an app's config from apps.py only when it holds exactly
    # one class; a second one there silently dropped CoreConfig.ready() (the
    # core-database write guard, the role groups) once already.
    assert type(apps.get_app_config("core")) is CoreConfig
    assert apps.get_app_config("admin").__class__.__name__ == "LazyAdminConfig"
