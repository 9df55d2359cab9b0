"""The fleet's console panels: SIMs by status, online/offline, not seen for a day."""

from django.urls import reverse

from core.dashboard import Chart, DashboardScope, PanelContent, Series, Stat, register_panel
from core.humanize import human_count
from sims.models import Sim, SimStatus
from sims.selectors import connectivity_counts, status_counts


def sims_of(scope: DashboardScope):
    return scope.filter(Sim.objects.all())


@register_panel("sims.status", title="Fleet by status", group="Fleet", order=10, cached=True)
def fleet_by_status(scope: DashboardScope) -> PanelContent:
    changelist = reverse("admin:sims_sim_changelist")
    counts = status_counts(sims_of(scope))
    statuses = [s for s in SimStatus if counts.get(s.value)]
    missing = sims_of(scope).filter(missing_upstream_since__isnull=False).count()
    return PanelContent(
        stats=[
            Stat("SIMs", human_count(sum(counts.values())), changelist),
            Stat(
                "Enabled",
                human_count(counts.get(SimStatus.ENABLED, 0)),
                f"{changelist}?status__exact={SimStatus.ENABLED}",
                tone="ok",
            ),
            Stat(
                "Gone from 1NCE",
                human_count(missing),
                f"{changelist}?missing=yes",
                tone="warning" if missing else "",
            ),
        ],
        chart=Chart(
            kind="doughnut",
            labels=[s.label for s in statuses],
            series=[Series("SIMs", [counts[s.value] for s in statuses], "SIMs")],
            url=changelist,
            links=[f"{changelist}?status__exact={s.value}" for s in statuses],
        ),
    )


@register_panel("sims.connectivity", title="Connectivity", group="Fleet", order=20, cached=True)
def connectivity(scope: DashboardScope) -> PanelContent:
    """Online/offline from each SIM's newest connectivity reading, and who was not seen."""
    changelist = reverse("admin:sims_sim_changelist")
    counts = connectivity_counts(sims_of(scope))
    labels = [("Online", "online"), ("Offline", "offline"), ("No reading", "unknown")]
    return PanelContent(
        stats=[
            Stat(
                "Online",
                human_count(counts["online"]),
                f"{changelist}?connectivity=online",
                tone="ok",
            ),
            Stat(
                "Offline",
                human_count(counts["offline"]),
                f"{changelist}?connectivity=offline",
                tone="danger" if counts["offline"] else "",
            ),
            Stat(
                "Not seen for a day",
                human_count(counts["not_seen"]),
                f"{changelist}?seen=stale",
                tone="warning" if counts["not_seen"] else "ok",
                hint="No connected reading in the last 24 hours.",
            ),
        ],
        chart=Chart(
            kind="doughnut",
            labels=[label for label, _ in labels],
            series=[Series("SIMs", [counts[key] for _, key in labels], "SIMs")],
            url=changelist,
            links=[f"{changelist}?connectivity={key}" for _, key in labels],
        ),
    )
