from django.apps import AppConfig
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models.signals import post_migrate, pre_migrate

from details.signals import details_resynced
from statements.engine import families


def _families_changed(*, setting: str, value: object, **kwargs: object) -> None:
    if setting == "PROVIDER_FAMILIES":
        families.configure(value if isinstance(value, dict) else {})


class StatementsConfig(AppConfig):
    name = "statements"
    verbose_name = "Statements"

    def ready(self):
        # Imported here, not at the top: they import models, which exist
        # only once the app registry is ready.
        from statements import enrichment, unified_view

        # details sits below statements and cannot call it: statements listens.
        details_resynced.connect(enrichment.enrich_resynced, dispatch_uid="statements.enrichment.enrich_resynced")
        pre_migrate.connect(unified_view.before_migrate, sender=self, dispatch_uid="statements.unified_view.before")
        post_migrate.connect(unified_view.after_migrate, sender=self, dispatch_uid="statements.unified_view.after")
        # The engine reads provider families from the settings (PROVIDER_FAMILIES), and again when a test changes them.
        families.configure(settings.PROVIDER_FAMILIES)
        setting_changed.connect(_families_changed, dispatch_uid="statements.engine.families")
