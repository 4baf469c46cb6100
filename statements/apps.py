from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate

from details.signals import details_resynced


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
