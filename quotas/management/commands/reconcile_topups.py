"""Settle top-up calls whose outcome was lost now (the periodic task's service)."""

from accounts.management.options import add_organization_argument, organization_option
from core.management.base import FleetCommand
from quotas.services import settle_topups


class Command(FleetCommand):
    help = "Settle top-up calls whose outcome at 1NCE was lost (every organization, or one)."

    def add_arguments(self, parser):
        add_organization_argument(parser)

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        result = settle_topups(organization=organization)
        pending = result.open - result.applied - result.not_applied
        self.stdout.write(
            f"{result.open} open top-up calls: {result.applied} found applied, "
            f"{result.not_applied} not applied, {pending} still pending; "
            f"{result.order_calls} order-list calls, {result.errors} incomplete reads"
        )
