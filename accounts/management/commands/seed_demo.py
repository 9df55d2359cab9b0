"""Demo data for ``make run``: an organization, its admin and its API key, printed each run.

The demo key survives restarts: its full value is kept in ``var/demo-api-key`` (development
only; the key itself is stored hashed like any other), so the key ``make run`` printed
yesterday still works today. ``--new-key`` revokes it (through the service that drops cached
keys, so it stops working at once) and issues another.
"""

import os
from pathlib import Path

from celery import current_app as celery_app
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from accounts.models import Organization, Role, User
from accounts.selectors import live_api_keys
from accounts.services import find_api_key, issue_api_key, revoke_api_keys
from core.context import Context
from core.management.base import FleetCommand

# celery_app is the project's app (config.celery), current once Django has loaded config;
# importing config here would point accounts at the layer above it.
DEMO_USERNAME = "admin"
DEMO_KEY_NAME = "demo"
DEMO_SIMS = 200
# The tasks that fill the mirror once the web server (which serves the simulator) is up:
# SIMs first, then what hangs off them, quotas and connectivity before the heavier reads.
FIRST_SYNCS = [
    ("sims.tasks.sync_sims", 5),
    ("quotas.tasks.refresh_quotas", 25),
    ("sims.tasks.refresh_connectivity", 25),
    ("usage.tasks.sync_usage", 30),
    ("quotas.tasks.check_quotas", 60),
    ("sms.tasks.sync_sms", 30),
]


def demo_key_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-api-key"


class Command(FleetCommand):
    help = "Create the demo organization, admin user and API key (idempotent) and print them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when FLEETOPS_ENV=production."
        )
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="Revoke the demo API key (it stops working at once) and issue a new one.",
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
        raw_key, kept = self.demo_key(user, new=options["new_key"])
        sims = self.seed_simulators() if settings.SIMULATORS_ENABLED else None
        # By name: accounts does not import the outages app.
        call_command("seed_outages_demo", "--organization", organization.slug, stdout=self.stdout)
        call_command("seed_sites_demo", "--organization", organization.slug, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Organization  {organization.name} ({organization.slug})")
        if created:
            self.stdout.write(f"  Admin login   {DEMO_USERNAME} / {password}")
        else:
            self.stdout.write(f"  Admin login   {DEMO_USERNAME} (password unchanged)")
        self.stdout.write(f"  API key       {raw_key}")
        if kept:
            self.stdout.write("                (kept from the last run; --new-key replaces it)")
        self.stdout.write("                (curl -H 'X-API-Key: <key>' .../api/v1/auth/me)")
        if sims is not None:
            self.stdout.write(
                f"  1NCE          simulator with {sims} SIMs; the worker mirrors them in a minute"
            )
        call_command("seed_provisioning_demo", stdout=self.stdout)
        if settings.SIMULATORS_ENABLED:  # the Horizon simulator is the demo's Stellar
            call_command(
                "seed_payments_demo", "--organization", organization.slug, stdout=self.stdout
            )

    def demo_key(self, user: User, *, new: bool) -> tuple[str, bool]:
        """The demo key's full value and whether it was kept: the saved one while it still
        authenticates as the demo admin, else a new one (the old ones revoked)."""
        path = demo_key_file()
        saved = path.read_text().strip() if path.exists() else ""
        key = find_api_key(saved) if saved and not new else None
        if key is not None and key.user_id == user.pk and key.name == DEMO_KEY_NAME:
            return saved, True
        revoke_api_keys(
            api_keys=live_api_keys(user).filter(name=DEMO_KEY_NAME),
            context=Context.system(via="command"),
        )
        _, raw = issue_api_key(user=user, name=DEMO_KEY_NAME, context=Context.system(via="command"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(raw + "\n")
        return raw, False

    def seed_simulators(self) -> int:
        """A demo fleet in the 1NCE simulator (once), mirrored by the worker once the web
        server (which serves the simulator) is up. Returns how many SIMs the simulator's
        default account holds: what the demo really shows."""
        call_command(
            "simulate_1nce",
            "seed",
            "--sims",
            str(DEMO_SIMS),
            "--days",
            "90",
            "--if-empty",
            verbosity=0,
        )
        call_command("simulate_horizon", "seed", verbosity=0)  # Stellar pool and operator

        # By name: the demo command does not import the domain apps' tasks.
        def first_syncs():
            for task, countdown in FIRST_SYNCS:
                celery_app.send_task(task, countdown=countdown)

        transaction.on_commit(first_syncs)
        # Through the app registry: nothing imports the simulators outside tests.
        simulated_sim = apps.get_model("simulators", "OnenceSim")
        return simulated_sim.objects.filter(account__client_id=settings.ONENCE_CLIENT_ID).count()
