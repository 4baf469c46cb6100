"""``manage.py parse_statement``'s work, without Django.

The command reads one file and prints the engine's result; it touches no
database and needs none of the apps, so ``manage.py`` runs it through
``main`` before Django is set up (start-up was most of the command's time:
the admin, Celery and the import-export formats load at ``django.setup``).
The management command (``statements/management/commands/parse_statement.py``)
takes the same arguments and prints the same output, for ``call_command``.

    python manage.py parse_statement FILE [--provider UATL|UMTN]
        [--acc-number N] [--password P] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from statements.engine.api import check_path
from statements.engine.errors import StatementError
from statements.engine.families import families
from statements.engine.report import money, result_dict
from statements.engine.types import StatementResult

PROVIDERS = ("UATL", "UMTN")  # and any code PROVIDER_FAMILIES maps to one of them (UMTN2=UMTN)
HELP = "Parse and verify a statement file (PDF, CSV, XLS/XLSX) and print the result. Touches no database."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file")
    parser.add_argument("--provider", type=str.upper, choices=(*PROVIDERS, *families()), help="Provider (else detected from the file)")
    parser.add_argument("--acc-number", default=None, help="Account number when the file does not carry it (MTN)")
    parser.add_argument("--password", default=None, help="Password of a protected PDF")
    parser.add_argument("--json", action="store_true", help="Print one JSON document (with risk_score and reasons)")


def check(path: str, *, provider: str | None, acc_number: str | None, password: str | None) -> StatementResult:
    """The engine's result, or ``StatementError`` with the file's name in front of its message."""
    try:
        return check_path(path, provider=provider, acc_number=acc_number, password=password)
    except StatementError as exc:
        message = str(exc)
        # Some errors already start with the file's name; don't say it twice.
        prefix = "" if message.startswith(str(path)) else f"{path}: "
        raise StatementError(f"{prefix}{message} [{exc.code}]") from None


def render(result: StatementResult, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(result_dict(result), ensure_ascii=False, indent=1)
    s = result.summary
    p = result.parsed
    reasons = "".join(f"\n  {r.weight:3d} {r.code}: {r.message}" for r in s.risk_reasons)
    return (
        f"{p.provider} {p.format} account {p.acc_number or '?'}: {s.txn_count} transactions, "
        f"{s.first_txn_date:%Y-%m-%d} to {s.last_txn_date:%Y-%m-%d}\n"
        f"opening {money(s.opening_balance_calculated)}, closing {money(s.closing_balance_calculated)} "
        f"(stated {money(s.closing_balance_stated)}), balance {s.balance_match}\n"
        f"verification {s.verification_status}: {s.verification_reason}\n"
        f"tampering {s.tampering_level}: {s.tampering_reason}\n"
        f"risk score {s.risk_score}/100{reasons}\n"
        f"status {result.status}"
    )


def main(argv: list[str], stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="manage.py parse_statement", description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        result = check(args.file, provider=args.provider, acc_number=args.acc_number, password=args.password)
    except StatementError as exc:
        # As Django prints a CommandError: one line, exit status 1.
        stderr.write(f"CommandError: {exc}\n")
        return 1
    stdout.write(render(result, as_json=args.json) + "\n")
    return 0
