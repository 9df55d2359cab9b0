"""Follow MT delivery and mirror MO messages now, with a progress bar."""

from django.core.management.base import CommandError
from tqdm import tqdm

from accounts.management.options import add_organization_argument, organization_option
from core.management.base import FleetCommand
from sims.models import Sim
from sms.services import sims_to_sync, sync_sms


class Command(FleetCommand):
    help = "Sync SMS status and received (MO) messages from 1NCE."

    def add_arguments(self, parser):
        parser.add_argument("--iccid", action="append", help="Only this SIM (repeatable).")
        add_organization_argument(parser, help="Every SIM of this organization.")

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        if options["iccid"]:
            sims = list(
                Sim.objects.select_related("organization").filter(iccid__in=options["iccid"])
            )
        elif organization is not None:
            sims = list(
                Sim.objects.select_related("organization").filter(organization=organization)
            )
        else:
            sims = sims_to_sync()
        if not sims:
            raise CommandError("No SIM to sync.")
        with tqdm(total=len(sims), unit="sim", disable=options["verbosity"] == 0) as bar:
            result = sync_sms(sims=sims, progress=bar.update)
        self.stdout.write(
            f"{result.sims} SIMs synced, {result.received} messages received, "
            f"{result.updated} status changes, {result.errors} errors"
        )
