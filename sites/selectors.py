"""Site reads, scoped to the caller's organization."""

from django.db.models import Prefetch, QuerySet

from core.errors import NotFound
from core.tenancy import scope_to_organization
from sites.models import OutageEvidence, Site, SiteOutage, SiteShareSample


def sites_of(user) -> QuerySet[Site]:
    return scope_to_organization(Site.objects.order_by("code", "id"), user)


def site_for_user(code: str, *, user, organization_id: int | None = None) -> Site:
    """The site ``code`` of the caller's organization (a superuser names one); 404 else."""
    sites = sites_of(user).filter(code=code)
    if organization_id is not None:
        sites = sites.filter(organization_id=organization_id)
    site = sites.select_related("organization").first()
    if site is None:
        raise NotFound(f"No site {code}.")
    return site


def share_history(site: Site, *, limit: int = 500) -> list[dict]:
    """The site's online share over time, oldest first (the latest ``limit`` samples)."""
    rows = list(SiteShareSample.objects.filter(site=site).order_by("-at")[:limit])
    return [
        {
            "at": row.at,
            "online": row.online,
            "total": row.total,
            "online_share": round(row.online / row.total, 4) if row.total else 0.0,
        }
        for row in reversed(rows)
    ]


def site_outages(site: Site, *, limit: int = 20) -> list[SiteOutage]:
    """The site's latest outages with the SIM evidence behind their timestamps."""
    return list(
        SiteOutage.objects.filter(site=site)
        .select_related("outage")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=OutageEvidence.objects.select_related("sim").order_by("lost_at", "id"),
            )
        )
        .order_by("-first_loss_at", "-id")[:limit]
    )
