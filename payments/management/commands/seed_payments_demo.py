"""The demo's Stellar side: once the worker and the web server (which serves the Horizon
simulator) are up, the latest resolved demo outage whose SLA was violated is settled end to
end: its SLA result attested on the ledger and its penalty paid, exactly once.

manage.py seed_payments_demo [--organization demo]
"""

from celery import current_app
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.management.options import organization_option


class Command(BaseCommand):
    help = "Queue the settlement of a resolved demo outage through the Horizon simulator."

    def add_arguments(self, parser):
        parser.add_argument(
            "--organization",
            metavar="SLUG",
            default="demo",
            help="The demo organization (default: demo).",
        )

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        transaction.on_commit(
            lambda: current_app.send_task(
                "payments.tasks.settle_demo_outage", args=[organization.slug], countdown=20
            )
        )
        self.stdout.write(
            f"  Stellar       a resolved outage of {organization.slug} is settled on the "
            "Horizon simulator in a minute"
        )
