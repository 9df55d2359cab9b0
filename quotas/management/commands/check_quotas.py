"""Evaluate quota thresholds and auto top-up rules now (the periodic task's service)."""

from accounts.management.options import add_organization_argument, organization_option
from core.management.base import FleetCommand
from quotas.services import check_quotas


class Command(FleetCommand):
    help = "Evaluate quota thresholds and run auto top-up rules (every organization, or one)."

    def add_arguments(self, parser):
        add_organization_argument(parser)

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        stats = check_quotas(organization=organization)
        self.stdout.write(
            f"{stats['checked']} quotas checked, {stats['crossed']} crossed their threshold, "
            f"{stats['topped_up']} topped up automatically, {stats['errors']} errors"
        )
