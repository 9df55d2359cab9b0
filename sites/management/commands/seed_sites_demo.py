"""``manage.py seed_sites_demo --organization demo``: the demo's sites (run by ``seed_demo``).

Creates the outage history's towers as sites, queues the spreading of the mirrored fleet over
them (``sites.tasks.place_demo_sims``, retried until the worker's first sync has run) and, with
the simulators on, points the simulated 1NCE Data Streamer at this instance's ingest endpoint
with new credentials (only events from now on are streamed).
"""

import io

from celery import current_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from accounts.management.options import add_organization_argument, organization_option
from core.context import Context
from sites import services
from sites.demo import seed_demo_sites


class Command(BaseCommand):
    help = "Create the demo's sites, spread the fleet over them and stream 1NCE events."

    def add_arguments(self, parser):
        add_organization_argument(parser)

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        if organization is None:
            raise CommandError("Name the organization with --organization SLUG.")
        context = Context.system(via="command")
        with transaction.atomic():
            created = seed_demo_sites(organization=organization, context=context)
            transaction.on_commit(
                lambda: current_app.send_task(
                    "sites.tasks.place_demo_sims", args=[organization.slug], countdown=30
                )
            )
        self.stdout.write(
            f"  Sites         {created} demo sites created; the fleet is spread over them "
            "once mirrored"
        )
        if settings.SIMULATORS_ENABLED:
            stream, secret = services.create_stream(organization=organization, context=context)
            url = settings.SITE_URL + reverse("sites-api:data-streamer-events")
            # By name: nothing of ours imports the simulators.
            call_command(
                "simulate_1nce",
                "stream",
                f"--url={url}",
                f"--username={stream.username}",
                f"--password={secret}",  # it may start with "-"
                "--from-now",
                stdout=io.StringIO(),
            )
            self.stdout.write(
                "  Data Streamer the 1NCE simulator streams SIM events here every 30 s; "
                "`manage.py demo_site_loss --site SITE007` takes a site down"
            )
