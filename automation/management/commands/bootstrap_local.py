import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Create the local admin user and its API token on first run, and print them once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Admin user {username!r} already exists (its password was printed on first run).")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        token = Token.objects.create(user=user)
        self.stdout.write(
            "\n".join(
                [
                    "Created the local admin user. Keep these; they are shown only once:",
                    f"  username:  {username}",
                    f"  password:  {password}",
                    f"  API token: {token.key}",
                    "  (curl -H 'Authorization: Token <token>' http://127.0.0.1:8000/api/automation/jobs/)",
                ]
            )
        )
