"""Issue an API key for a user and print it once: it is not stored and cannot be shown again."""

from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import issue_api_key
from core.context import Context
from core.errors import Conflict
from core.management.base import FleetCommand


class Command(FleetCommand):
    help = "Issue an API key for a user; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="The active user the key acts as.")
        parser.add_argument("--name", required=True, help="What the key is for.")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            metavar="DAYS",
            help="The key stops working after this many days (default: never).",
        )
        parser.add_argument("--read-only", action="store_true", help="The key can only read.")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {options['username']!r}.") from None
        days = options["expires_in_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-in-days must be at least 1.")
        try:
            api_key, raw = issue_api_key(
                user=user,
                name=options["name"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
                read_only=options["read_only"],
                context=Context.system(via="command"),
            )
        except Conflict as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(raw)
        expiry = api_key.expiry_date.isoformat() if api_key.expiry_date else "never"
        mode = "read-only" if api_key.read_only else "read-write"
        self.stderr.write(
            f"API key {api_key.prefix} for {user.username} ({mode}, expires {expiry}). "
            "Store it now: it cannot be shown again."
        )
