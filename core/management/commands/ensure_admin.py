"""Create the admin superuser if missing and print its password, once."""
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from core.roles import OPS_ADMIN, sync_roles


class Command(BaseCommand):
    help = (
        "Create the admin superuser if missing (idempotent) and print its password once; the password is stored "
        "nowhere but as Django's hash. An existing user keeps its password unless --password or --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="Set this password (an existing user's is replaced)")
        parser.add_argument("--reset", action="store_true", help="Give an existing user a new generated password, printed once")

    def handle(self, *args, username, password, reset, **options):
        # Earlier versions kept the generated password in clear beside the
        # database; a copy left there is removed, never read.
        Path(settings.BASE_DIR, "var", f"{username}-password.txt").unlink(missing_ok=True)

        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        user.is_staff = True
        user.is_superuser = True
        shown = None
        if password:
            user.set_password(password)
        elif created or reset or not user.has_usable_password():
            shown = secrets.token_urlsafe(12)
            user.set_password(shown)
        user.save()
        sync_roles()
        user.groups.add(Group.objects.get(name=OPS_ADMIN))
        if shown:
            verb = "Created" if created else "Reset"
            self.stdout.write(self.style.SUCCESS(f"{verb} admin login → username: {username}  password: {shown}"))
            self.stdout.write("This password is shown once and stored nowhere: note it now (`ensure_admin --reset` makes a new one).")
        elif password:
            self.stdout.write(self.style.SUCCESS(f"Admin login {username}: password set as given."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Admin login {username} exists; its password is unchanged (`ensure_admin --reset` prints a new one).")
            )
