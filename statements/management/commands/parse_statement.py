"""Parse and verify one statement file and print the result; no database.

    python manage.py parse_statement FILE [--provider UATL|UMTN]
        [--acc-number N] [--password P] [--json]

The same engine as the imports, with nothing stored and no database
connection opened (it runs where the database is unreachable). A file that
cannot be read exits non-zero with one line naming the problem.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from statements.engine import check_path
from statements.engine.errors import StatementError
from statements.engine.report import money, result_dict

PROVIDERS = ("UATL", "UMTN")


class Command(BaseCommand):
    help = "Parse and verify a statement file (PDF, CSV, XLS/XLSX) and print the result. Touches no database."
    # System checks may look at the database; this command must not.
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--provider", type=str.upper, choices=PROVIDERS, help="Provider (else detected from the file)")
        parser.add_argument("--acc-number", default=None, help="Account number when the file does not carry it (MTN)")
        parser.add_argument("--password", default=None, help="Password of a protected PDF")
        parser.add_argument("--json", action="store_true", help="Print one JSON document")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            result = check_path(path, provider=options["provider"], acc_number=options["acc_number"], password=options["password"])
        except StatementError as exc:
            message = str(exc)
            # Some errors already start with the file's name; don't say it twice.
            prefix = "" if message.startswith(str(path)) else f"{path}: "
            raise CommandError(f"{prefix}{message} [{exc.code}]") from None
        if options["json"]:
            self.stdout.write(json.dumps(result_dict(result), ensure_ascii=False, indent=1))
            return
        s = result.summary
        p = result.parsed
        self.stdout.write(
            f"{p.provider} {p.format} account {p.acc_number or '?'}: {s.txn_count} transactions, "
            f"{s.first_txn_date:%Y-%m-%d} to {s.last_txn_date:%Y-%m-%d}\n"
            f"opening {money(s.opening_balance_calculated)}, closing {money(s.closing_balance_calculated)} "
            f"(stated {money(s.closing_balance_stated)}), balance {s.balance_match}\n"
            f"verification {s.verification_status}: {s.verification_reason}\n"
            f"tampering {s.tampering_level}: {s.tampering_reason}\n"
            f"status {result.status}"
        )
