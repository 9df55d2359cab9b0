"""Mirror SIMs from 1NCE now, with a progress bar (the same service and retries as the
periodic task)."""

import time

from django.core.management.base import CommandError
from tqdm import tqdm

from accounts.management.options import add_organization_argument, organization_option
from core.management.base import FleetCommand, upstream_failure
from sims.accounts import ONENCE_ACCOUNTS
from sims.selectors import connected_organizations
from sims.services.sync import sync_organization
from sims.tasks import SYNC_MAX_RETRIES, SYNC_RETRY_ERRORS, sync_retry_delay


class Command(FleetCommand):
    help = "Sync the SIM mirror from 1NCE for every connected organization (or one)."

    def add_arguments(self, parser):
        add_organization_argument(parser)

    def handle(self, *args, **options):
        organization = organization_option(options["organization"])
        if organization is not None:
            organizations = [organization]
            if not ONENCE_ACCOUNTS.is_connected(organizations[0]):
                raise CommandError(str(ONENCE_ACCOUNTS.not_connected(organizations[0])))
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

                result = self._sync(organization, progress)
            self.stdout.write(
                f"{organization.slug}: {result.seen} seen, {result.created} created, "
                f"{result.updated} updated, {result.status_changes} status changes, "
                f"{result.missing} missing upstream, {len(result.conflicts)} conflicts "
                f"in {result.duration_s}s"
            )

    def _sync(self, organization, progress):
        """One organization's sync, retried like the periodic task when 1NCE is down (pages
        already upserted stay; a retry pages through again)."""
        for retries in range(SYNC_MAX_RETRIES + 1):
            try:
                return sync_organization(organization=organization, progress=progress)
            except SYNC_RETRY_ERRORS as exc:
                if retries == SYNC_MAX_RETRIES:
                    raise CommandError(
                        f"{organization.slug}: 1NCE is unavailable, gave up after "
                        f"{SYNC_MAX_RETRIES} retries: {upstream_failure(exc)}"
                    ) from exc
                delay = sync_retry_delay(retries)
                self.stderr.write(
                    f"{organization.slug}: {upstream_failure(exc)}; retry {retries + 1} of "
                    f"{SYNC_MAX_RETRIES} in {delay}s"
                )
                time.sleep(delay)
        raise AssertionError("unreachable")
