from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "CreditDesk core"

    def ready(self):
        from django.core import checks
        from django.db.backends.signals import connection_created

        from core import roles
        from core.routers import guard_read_only
        from core.timezones import check_time_zone_tables

        connection_created.connect(guard_read_only, dispatch_uid="core.flow_api_read_only")
        # Refuses `migrate` / `check --database default` on a server without time-zone tables.
        checks.register(check_time_zone_tables, checks.Tags.database)

        # Sent once per app; ours is the last app, so by then every model's
        # permissions exist and the role groups can be (re)built idempotently.
        post_migrate.connect(roles.on_post_migrate, sender=self, dispatch_uid="core.roles")
