"""Parse and verify one statement file and print the result; no database.

    python manage.py parse_statement FILE [--provider UATL|UMTN]
        [--acc-number N] [--password P] [--json]

The same engine as the imports, with nothing stored and no database
connection opened (it runs where the database is unreachable). A file that
cannot be read exits non-zero with one line naming the problem. ``--json``
prints one document with the transactions, the summary, ``risk_score`` and
``reasons``.

``manage.py`` runs it through ``statements.engine.cli.main`` without setting
Django up (start-up was most of its time); this command class is the same
work for ``call_command``.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from statements.engine import cli
from statements.engine.errors import StatementError

PROVIDERS = cli.PROVIDERS


class Command(BaseCommand):
    help = cli.HELP
    # System checks may look at the database; this command must not.
    requires_system_checks: list = []

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        try:
            result = cli.check(options["file"], provider=options["provider"], acc_number=options["acc_number"], password=options["password"])
        except StatementError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(cli.render(result, as_json=options["json"]))
