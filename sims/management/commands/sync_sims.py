"""Mirror SIMs from 1NCE now, with a progress bar (the same service as the periodic task)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import Organization
from sims.selectors import connected_organizations
from sims.services.clients import ONENCE_ACCOUNTS
from sims.services.sync import sync_organization


class Command(BaseCommand):
    help = "Sync the SIM mirror from 1NCE for every connected organization (or one)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Slug of one organization to sync.")

    def handle(self, *args, **options):
        if options["organization"]:
            try:
                organizations = [Organization.objects.get(slug=options["organization"])]
            except Organization.DoesNotExist:
                raise CommandError(f"No organization {options['organization']!r}.") from None
            if not ONENCE_ACCOUNTS.is_connected(organizations[0]):
                raise CommandError(str(ONENCE_ACCOUNTS.not_connected(organizations[0]).detail))
        else:
            organizations = list(connected_organizations())
        if not organizations:
            raise CommandError("No organization is connected to 1NCE.")
        for organization in organizations:
            with tqdm(desc=organization.slug, unit="sim", disable=options["verbosity"] == 0) as bar:

                def progress(count, total, bar=bar):
                    if total and bar.total != total:
                        bar.total = total
                    bar.update(count)

                result = sync_organization(organization=organization, progress=progress)
            self.stdout.write(
                f"{organization.slug}: {result.seen} seen, {result.created} created, "
                f"{result.updated} updated, {result.status_changes} status changes, "
                f"{result.missing} missing upstream, {len(result.conflicts)} conflicts "
                f"in {result.duration_s}s"
            )
