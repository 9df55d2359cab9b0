"""Settle sent SMS whose outcome was lost now (the periodic task's service)."""

from accounts.management.options import add_organization_argument, organization_option
from core.management.base import FleetCommand
from sms.services import reconcile_sms


class Command(FleetCommand):
    help = "Settle MT SMS whose send answer from 1NCE was lost (every organization, or one)."

    def add_arguments(self, parser):
        add_organization_argument(parser)

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        stats = reconcile_sms(organization=organization)
        self.stdout.write(
            f"{stats['sims']} SIMs read, {stats['matched']} messages found at 1NCE, "
            f"{stats['open']} still pending, {stats['errors']} errors"
        )
