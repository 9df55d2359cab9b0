"""Provisioning's console panel: today's requests by status, failures, completion time."""

from datetime import datetime, time

from django.db.models import Avg, Count, F
from django.urls import reverse
from django.utils import timezone

from core.dashboard import Chart, PanelContent, Series, Stat, Table, register_panel
from provisioning.models import ProvisioningRequest, RequestStatus


def _list_url(**filters) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    url = reverse("admin:provisioning_provisioningrequest_changelist")
    return f"{url}?{query}" if query else url


@register_panel("provisioning.requests", title="Provisioning requests today", group="Provisioning")
def provisioning_requests(scope) -> PanelContent:
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    today = scope.filter(ProvisioningRequest.objects.filter(created_at__gte=start))
    counts = dict(
        today.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    average = (
        today.filter(status=RequestStatus.COMPLETED, completed_at__isnull=False)
        .order_by()
        .aggregate(seconds=Avg(F("completed_at") - F("created_at")))["seconds"]
    )
    since = f"created_at__gte={start.date().isoformat()}"
    failures = list(
        today.filter(status=RequestStatus.FAILED)
        .order_by("-created_at")
        .values_list("id", "operation", "iccid", "error_message")[:5]
    )
    statuses = [choice.value for choice in RequestStatus]
    return PanelContent(
        stats=[
            Stat("Requests", sum(counts.values()), url=_list_url()),
            Stat(
                "Failed",
                counts.get(RequestStatus.FAILED, 0),
                url=f"{_list_url(status__exact='failed')}&{since}",
                tone="danger" if counts.get(RequestStatus.FAILED) else "ok",
            ),
            Stat(
                "Open",
                counts.get(RequestStatus.QUEUED, 0) + counts.get(RequestStatus.PROCESSING, 0),
                url=_list_url(status__exact="queued"),
            ),
            Stat(
                "Avg. completion",
                f"{average.total_seconds():.1f} s" if average is not None else "—",
                hint="From submission to completed, today.",
            ),
        ],
        chart=Chart(
            kind="bar",
            labels=statuses,
            series=[Series("Requests", [counts.get(s, 0) for s in statuses])],
            links=[_list_url(status__exact=s) for s in statuses],
        ),
        table=Table(
            columns=["Operation", "ICCID", "Error"],
            rows=[[op, iccid, error] for _, op, iccid, error in failures],
            links=[
                reverse("admin:provisioning_provisioningrequest_change", args=[pk])
                for pk, *_ in failures
            ],
            empty="No failed request today.",
        ),
    )
