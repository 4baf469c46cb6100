#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["parse_statement"]:
        # Touches no database and needs no app: runs before Django is set up
        # (statements/engine/cli.py), so start-up is the engine's imports only.
        from statements.engine.cli import main as parse_statement

        sys.exit(parse_statement(sys.argv[2:]))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
