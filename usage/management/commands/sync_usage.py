"""``manage.py sync_usage [--organization SLUG]``: the hourly usage sync, by hand."""

from django.core.management.base import CommandError
from tqdm import tqdm

from accounts.management.options import add_organization_argument, organization_option
from core.management.base import FleetCommand, upstream_failure
from upstream.exceptions import UpstreamError
from usage.services import sync_usage


class Command(FleetCommand):
    help = "Fetch new daily usage from 1NCE for every active SIM (incremental)."

    def add_arguments(self, parser):
        add_organization_argument(parser)

    def handle(self, *args, organization=None, verbosity=1, **options):
        org = organization_option(organization)
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="sim", disable=verbosity == 0, file=self.stderr)
            bar.update(done - bar.n)

        try:
            report = sync_usage(organization=org, progress=progress)
        except UpstreamError as exc:
            raise CommandError(
                f"1NCE is unavailable, sync stopped: {upstream_failure(exc)}"
            ) from exc
        finally:
            if bar is not None:
                bar.close()
        if report.skipped:
            self.stdout.write(self.style.WARNING("Another usage sync is running; skipped."))
            return
        self.stdout.write(
            f"{report.sims} SIMs: {report.synced} synced, {report.failed} failed; "
            f"{report.records_added} records added, {report.records_updated} updated "
            f"in {report.duration_seconds:.1f}s"
        )
        if report.deferred:
            self.stdout.write(
                self.style.WARNING(f"{report.deferred} SIMs left for the next run (time budget).")
            )
        for iccid in report.failed_iccids:
            self.stdout.write(self.style.ERROR(f"failed: {iccid}"))
