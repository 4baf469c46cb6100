"""Create (or refresh) the demo superuser and print its login."""
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from core.roles import OPS_ADMIN, sync_roles


class Command(BaseCommand):
    help = "Create the admin superuser if missing (idempotent) and print its username and password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="Use this password instead of the stored/generated one")

    def handle(self, *args, username, password, **options):
        # The generated password is kept beside the SQLite file so every run
        # of scripts/run prints the same working login.
        secret_file = Path(settings.BASE_DIR) / "var" / f"{username}-password.txt"
        if not password:
            if secret_file.exists():
                password = secret_file.read_text().strip()
            else:
                password = secrets.token_urlsafe(12)
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(password + "\n")
        secret_file.chmod(0o600)

        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        sync_roles()
        user.groups.add(Group.objects.get(name=OPS_ADMIN))
        verb = "Created" if created else "Refreshed"
        self.stdout.write(self.style.SUCCESS(f"{verb} admin login → username: {username}  password: {password}"))
