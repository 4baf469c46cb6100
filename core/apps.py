from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "CreditDesk core"

    def ready(self):
        from django.db.backends.signals import connection_created

        from core import roles
        from core.routers import guard_read_only

        connection_created.connect(guard_read_only, dispatch_uid="core.flow_api_read_only")

        # Sent once per app; ours is the last app, so by then every model's
        # permissions exist and the role groups can be (re)built idempotently.
        post_migrate.connect(roles.on_post_migrate, sender=self, dispatch_uid="core.roles")
