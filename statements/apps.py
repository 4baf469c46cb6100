from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class StatementsConfig(AppConfig):
    name = "statements"
    verbose_name = "Statements"

    def ready(self):
        from statements import unified_view

        pre_migrate.connect(unified_view.before_migrate, sender=self, dispatch_uid="statements.unified_view.before")
        post_migrate.connect(unified_view.after_migrate, sender=self, dispatch_uid="statements.unified_view.after")
