"""Settle every payment and attestation whose outcome is still open, from the ledger.

manage.py follow_payments [--older-than-seconds 0]
"""

from django.core.management.base import BaseCommand

from payments import services


class Command(BaseCommand):
    help = "Follow submitted Stellar payments and attestations to confirmation or failure."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-seconds",
            type=int,
            default=0,
            help="Only payments submitted at least this many seconds ago (default: 0).",
        )

    def handle(self, *args, **options):
        counts = services.follow_payments(older_than_seconds=options["older_than_seconds"])
        for kind, outcome in counts.items():
            summary = ", ".join(f"{count} {name}" for name, count in outcome.items())
            self.stdout.write(f"{kind}: {summary}")
