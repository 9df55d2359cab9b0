"""``manage.py demo_site_loss --site SITE007``: take most of a demo site's SIMs down on the
1NCE simulator (simulators only).

They lose connectivity one after another over ``--spread-seconds`` from now and each is back
``--down-minutes`` later. The simulated Data Streamer posts the events to FleetOps within 30 s:
the site's outage opens from them (``created_by: system``, timeline evidence), and once the SIMs
are back for the settle time it is resolved, its MTTR and SLA result from the evidence.
"""

import io

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.management.options import add_organization_argument, organization_option
from sites.demo import loss_iccids
from sites.models import Site


class Command(BaseCommand):
    help = "Take most of a site's SIMs down on the 1NCE simulator (the demo's site outage)."

    def add_arguments(self, parser):
        add_organization_argument(parser)
        parser.add_argument("--site", help="The site's code (SITE007); required.")
        parser.add_argument(
            "--share", type=float, default=0.75, help="Share of its SIMs lost (0.75)."
        )
        parser.add_argument(
            "--spread-seconds", type=float, default=90, help="Over how long they go (90)."
        )
        parser.add_argument(
            "--down-minutes", type=float, default=20, help="How long each stays down (20)."
        )

    def handle(self, *args, **options):
        if not settings.SIMULATORS_ENABLED:
            raise CommandError("demo_site_loss drives the 1NCE simulator: SIMULATORS_ENABLED.")
        if not 0 < options["share"] <= 1:
            raise CommandError("--share is a fraction of the site's SIMs: above 0, at most 1.")
        organization = organization_option(options["organization"] or "demo")
        if not options["site"]:
            raise CommandError("Name the site with --site CODE (SITE007).")
        site = Site.objects.filter(organization=organization, code=options["site"]).first()
        if site is None:
            raise CommandError(f"{organization.slug} has no site {options['site']}.")
        iccids = loss_iccids(site=site, share=options["share"])
        if not iccids:
            raise CommandError(f"No SIM is placed at {site.code} yet.")
        # By name: nothing of ours imports the simulators.
        call_command(
            "simulate_1nce",
            "site-loss",
            "--iccids",
            ",".join(iccids),
            "--spread-seconds",
            str(options["spread_seconds"]),
            "--down-minutes",
            str(options["down_minutes"]),
            stdout=io.StringIO(),
        )
        self.stdout.write(
            f"{len(iccids)} of {site.sims.count()} SIMs of {site.code} ({site.name}) go down "
            f"over {options['spread_seconds']:g} s, each for {options['down_minutes']:g} min; "
            "the outage opens from the streamed events within a minute."
        )
