"""The sites of ``make run``'s demo: the outage history's towers become sites, the mirrored
fleet is spread over them, and the simulated 1NCE Data Streamer posts to our ingest endpoint.
``manage.py demo_site_loss`` then takes most of one site's SIMs down on the simulator: the
streamed events open the site's outage within a minute, and its recovery resolves it."""

from decimal import Decimal
from itertools import cycle

from core.context import Context
from core.errors import Conflict
from outages.demo import SITES
from sims.models import Sim
from sites import services
from sites.models import Criticality, Site
from sites.services.sites import MAX_BULK_SIMS

# The demo's busiest towers matter most.
CRITICAL = {"SITE003", "SITE004"}


class FleetNotMirrored(Conflict):
    """The organization has no SIMs yet (the worker's first sync has not run)."""


def seed_demo_sites(*, organization, context: Context) -> int:
    """The towers of ``outages.demo.SITES`` as sites of ``organization`` (those missing);
    answers how many were created."""
    existing = set(Site.objects.filter(organization=organization).values_list("code", flat=True))
    created = 0
    for name, code, latitude, longitude in SITES:
        if code in existing:
            continue
        services.create_site(
            organization=organization,
            code=code,
            name=name,
            context=context,
            latitude=Decimal(str(latitude)),
            longitude=Decimal(str(longitude)),
            criticality=Criticality.CRITICAL if code in CRITICAL else Criticality.MEDIUM,
        )
        created += 1
    return created


def place_demo_sims(*, organization, context: Context) -> int:
    """Spread the organization's SIMs placed nowhere over its sites, in turn; answers how many
    were placed. :class:`FleetNotMirrored` while it has no SIM at all."""
    if not Sim.objects.filter(organization=organization).exists():
        raise FleetNotMirrored("The demo fleet is not mirrored yet.")
    sites = list(Site.objects.filter(organization=organization).order_by("code"))
    if not sites:
        return 0
    unplaced = Sim.objects.filter(organization=organization, site__isnull=True)
    shares: dict[Site, list[str]] = {site: [] for site in sites}
    for site, iccid in zip(
        cycle(sites), unplaced.order_by("iccid").values_list("iccid", flat=True)
    ):
        shares[site].append(iccid)
    placed = 0
    for site, iccids in shares.items():
        for start in range(0, len(iccids), MAX_BULK_SIMS):
            chunk = iccids[start : start + MAX_BULK_SIMS]
            placed += services.assign_sims(
                site=site, iccids=chunk, organization=organization, context=context
            )
    return placed


def loss_iccids(*, site: Site, share: float) -> list[str]:
    """The first ``share`` of the site's SIMs (by ICCID): the ones a demo loss takes down."""
    iccids = list(site.sims.order_by("iccid").values_list("iccid", flat=True))
    return iccids[: max(1, round(len(iccids) * share))] if iccids else []
