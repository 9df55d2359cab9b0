"""The demo's PMNL side: a PMNL account for the demo organization (the simulator), its admin
mapped to the demo customer id, and subscribers created through PMNL by the worker.

manage.py seed_provisioning_demo [--organization demo] [--subscribers 12]
"""

from celery import current_app
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.management.options import organization_option
from accounts.models import Role
from provisioning.models import CustomerAuthorization, PmnlAccount
from upstream.pmnl import PmnlCredentials

DEMO_CUST_ID = "9123456"


class Command(BaseCommand):
    help = "Connect the demo organization to the PMNL simulator and provision demo subscribers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--organization",
            metavar="SLUG",
            default="demo",
            help="The demo organization (default: demo).",
        )
        parser.add_argument(
            "--subscribers", type=int, default=12, help="How many demo subscribers (default: 12)."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        credentials = PmnlCredentials.from_settings()
        if not credentials.complete:
            raise CommandError("PMNL_* settings are not set: nothing to connect the demo to.")
        PmnlAccount.objects.get_or_create(
            organization=organization,
            defaults={
                "base_url": credentials.base_url,
                "token_url": credentials.token_url,
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
                "api_key": credentials.api_key,
            },
        )
        for user in organization.users.filter(role=Role.ADMIN):
            CustomerAuthorization.objects.get_or_create(
                user=user, cust_id=DEMO_CUST_ID, defaults={"organization": organization}
            )
        count = options["subscribers"]
        transaction.on_commit(
            lambda: current_app.send_task(
                "provisioning.tasks.seed_demo_subscribers",
                args=[organization.slug, count, DEMO_CUST_ID],
                countdown=10,
            )
        )
        self.stdout.write(
            f"  PMNL         {credentials.base_url}: {count} demo subscribers (cust_id "
            f"{DEMO_CUST_ID}) are provisioned by the worker in a few seconds"
        )
