"""Demo data for ``make run``: an organization, its admin and a fresh API key, printed once."""

import os

from celery import current_app as celery_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import APIKey, Organization, Role, User
from accounts.services import issue_api_key
from core.context import Context
from core.management.base import FleetCommand

# celery_app is the project's app (config.celery), current once Django has loaded config;
# importing config here would point accounts at the layer above it.
DEMO_USERNAME = "admin"


class Command(FleetCommand):
    help = "Create the demo organization and admin user (idempotent) and print how to log in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when FLEETOPS_ENV=production."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if settings.PRODUCTION and not options["force"]:
            raise CommandError("seed_demo makes a known admin login; refusing in production.")
        password = os.environ.get("DEMO_ADMIN_PASSWORD", "fleetops-demo")
        organization, _ = Organization.objects.get_or_create(
            slug="demo", defaults={"name": "Demo Telecom"}
        )
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={
                "email": "admin@demo.example",
                "organization": organization,
                "role": Role.ADMIN,
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        # A fresh demo key each run: the old one is revoked, the new one printed once.
        APIKey.objects.filter(user=user, name="demo", revoked=False).update(
            revoked=True, revoked_at=timezone.now()
        )
        _, raw_key = issue_api_key(user=user, name="demo", context=Context.system(via="command"))
        if settings.SIMULATORS_ENABLED:
            self.seed_simulators()
        # By name: accounts does not import the outages app.
        call_command("seed_outages_demo", "--organization", organization.slug, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Organization  {organization.name} ({organization.slug})")
        if created:
            self.stdout.write(f"  Admin login   {DEMO_USERNAME} / {password}")
        else:
            self.stdout.write(f"  Admin login   {DEMO_USERNAME} (password unchanged)")
        self.stdout.write(f"  API key       {raw_key}")
        self.stdout.write("                (curl -H 'X-API-Key: <key>' .../api/v1/auth/me)")

    def seed_simulators(self):
        """A demo fleet in the 1NCE simulator, mirrored by the worker once the web server (which
        serves the simulator) is up."""
        call_command(
            "simulate_1nce", "seed", "--sims", "200", "--days", "60", "--if-empty", verbosity=0
        )
        call_command("simulate_horizon", "seed", verbosity=0)  # Stellar pool and operator

        # By name: the demo command does not import the domain apps' tasks.
        def first_syncs():
            # SIMs first; their usage, quotas and messages once the mirror has them.
            celery_app.send_task("sims.tasks.sync_sims", countdown=5)
            for task in (
                "usage.tasks.sync_usage",
                "quotas.tasks.check_quotas",
                "sms.tasks.sync_sms",
            ):
                celery_app.send_task(task, countdown=30)

        transaction.on_commit(first_syncs)
        self.stdout.write(
            "  1NCE         simulator with 200 SIMs; the worker mirrors them in a minute"
        )
        call_command("seed_provisioning_demo", stdout=self.stdout)
