"""``manage.py seed_outages_demo --organization demo``: the demo outage history (run by
``seed_demo``; does nothing when the organization has outages)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.management.options import add_organization_argument, organization_option
from outages.demo import seed_demo_outages


class Command(BaseCommand):
    help = "Create a demo history of outages (timelines, SLA results, RCAs) once."

    def add_arguments(self, parser):
        add_organization_argument(parser)
        parser.add_argument(
            "--count", type=int, default=300, help="How many outages (default: 300)."
        )
        parser.add_argument(
            "--days", type=int, default=90, help="Spread over this many past days (default: 90)."
        )

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        if organization is None:
            raise CommandError("Name the organization with --organization SLUG.")
        created = seed_demo_outages(
            organization=organization, count=options["count"], days=options["days"]
        )
        self.stdout.write(
            f"  Outages       {created} demo outages created"
            if created
            else "  Outages       demo history already there"
        )
