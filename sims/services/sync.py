"""Keep the SIM mirror fresh from 1NCE.

A full sync pages through every SIM of an account and upserts each page in one transaction
(bulk, no row-at-a-time saves), recording status changes as events. Only a run that saw
every page marks the SIMs it did not see as missing upstream, so a sync killed midway leaves
a consistent mirror and the next run simply finishes the job.
"""

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from sims import cache as sim_cache
from sims.events import EVENT_KINDS, publish_sim_events
from sims.models import EventSource, EventType, Sim, SimEvent, SimStatus
from sims.selectors import connected_organizations
from sims.services.clients import onence_client_for
from upstream.onence.models import Sim as UpstreamSim

logger = structlog.get_logger(__name__)

# Columns a sync owns; tags and metadata are ours and never touched by a sync.
SYNCED_FIELDS = [
    "iccid_with_luhn",
    "imsi",
    "imsi_2",
    "current_imsi",
    "msisdn",
    "imei",
    "imei_lock",
    "status",
    "label",
    "ip_address",
    "activation_date",
    "data_quota_remaining_bytes",
    "sms_quota_remaining",
    "last_synced_at",
    "missing_upstream_since",
    "updated_at",
]

STATUS_EVENTS = {
    SimStatus.ENABLED: EventType.SIM_ACTIVATED,
    SimStatus.DISABLED: EventType.SIM_SUSPENDED,
    SimStatus.SUSPENDED: EventType.SIM_SUSPENDED,
    SimStatus.EXPIRED: EventType.SIM_TERMINATED,
}


@dataclass
class SyncResult:
    organization: str
    pages: int = 0
    seen: int = 0
    created: int = 0
    updated: int = 0
    status_changes: int = 0
    missing: int = 0
    conflicts: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    complete: bool = False


def mirror_values(upstream: UpstreamSim, now) -> dict:
    """Our columns for one 1NCE SIM."""
    status = upstream.status if upstream.status in SimStatus.values else SimStatus.ENABLED
    return {
        "iccid_with_luhn": upstream.iccid_with_luhn,
        "imsi": upstream.imsi,
        "imsi_2": getattr(upstream, "imsi_2", "") or "",
        "current_imsi": upstream.current_imsi,
        "msisdn": upstream.msisdn,
        "imei": upstream.imei,
        "imei_lock": upstream.imei_lock,
        "status": status,
        "label": upstream.label,
        "ip_address": upstream.ip_address or None,
        "activation_date": upstream.activation_date,
        "data_quota_remaining_bytes": upstream.current_quota_bytes,
        "sms_quota_remaining": upstream.current_quota_sms,
        "last_synced_at": now,
        "missing_upstream_since": None,
        "updated_at": now,
    }


def upsert_page(*, organization: Organization, sims: list[UpstreamSim], result: SyncResult):
    """Upsert one page of upstream SIMs in one transaction, with status-change events."""
    now = timezone.now()
    iccids = [s.iccid for s in sims]
    with transaction.atomic():
        existing = {
            row["iccid"]: row
            for row in Sim.objects.filter(iccid__in=iccids).values(
                "id", "iccid", "organization_id", "status"
            )
        }
        rows, changes = [], []
        for upstream in sims:
            current = existing.get(upstream.iccid)
            if current and current["organization_id"] != organization.pk:
                # Another organization owns this ICCID: never move a SIM between tenants.
                result.conflicts.append(upstream.iccid)
                continue
            values = mirror_values(upstream, now)
            rows.append(Sim(organization=organization, iccid=upstream.iccid, **values))
            if current is None:
                result.created += 1
            else:
                result.updated += 1
                if current["status"] != values["status"]:
                    changes.append((upstream.iccid, current["status"], values["status"]))
        Sim.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["iccid"],
            update_fields=SYNCED_FIELDS,
            batch_size=500,
        )
        if changes:
            ids = dict(
                Sim.objects.filter(iccid__in=[c[0] for c in changes]).values_list("iccid", "id")
            )
            publish_sim_events(
                SimEvent.objects.bulk_create(
                    status_event(ids[iccid], organization.pk, old, new, now)
                    for iccid, old, new in changes
                )
            )
            result.status_changes += len(changes)
    result.seen += len(sims)
    result.pages += 1


def status_event(sim_id, organization_id, old: str, new: str, now) -> SimEvent:
    event_type = STATUS_EVENTS.get(new, EventType.STATUS_CHANGED)
    category, severity = EVENT_KINDS[event_type]
    return SimEvent(
        sim_id=sim_id,
        organization_id=organization_id,
        event_type=event_type,
        category=category,
        severity=severity,
        source=EventSource.FLEETOPS,
        description=f"Status changed from {old} to {new} (seen by sync).",
        details={"from": old, "to": new},
        occurred_at=now,
    )


def sync_organization(
    *, organization: Organization, progress: Callable[[int, int | None], None] | None = None
) -> SyncResult:
    """Mirror every SIM of the organization's 1NCE account."""
    started, started_at = time.monotonic(), timezone.now()
    result = SyncResult(organization=organization.slug)
    client = onence_client_for(organization=organization)
    for page in sim_pages(client, workers=settings.SIM_SYNC_CONCURRENCY):
        upsert_page(organization=organization, sims=page.items, result=result)
        sim_cache.invalidate(organization.pk)
        if progress:
            progress(len(page.items), page.total_count)
    with transaction.atomic():
        vanished = Sim.objects.filter(
            organization=organization, missing_upstream_since__isnull=True
        ).exclude(last_synced_at__gte=started_at)
        result.missing = vanished.update(missing_upstream_since=timezone.now())
    sim_cache.invalidate(organization.pk)
    result.complete = True
    result.duration_s = round(time.monotonic() - started, 2)
    logger.info(
        "sims_synced",
        **{k: v for k, v in vars(result).items() if k != "conflicts"},
        conflicts=len(result.conflicts),
    )
    return result


def sim_pages(client, *, workers: int) -> Iterator:
    """Every page of the account's SIMs, in order, fetching up to ``workers`` at once.

    1NCE answers a page in a few hundred milliseconds; fetched one after the other, a sync
    would use a fraction of the 10 requests per second it is allowed (the client's shared
    rate limiter still holds the total under the limit).
    """
    first = client.get_sims_page(page=1)
    yield first
    total = first.total_pages
    if total is None:  # no paging headers: walk page by page
        yield from (page for page in client.iter_sim_pages() if page.page > 1)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim-sync") as pool:
        pending, next_page = deque(), 2
        try:
            while next_page <= total or pending:
                while next_page <= total and len(pending) < 2 * workers:
                    pending.append(pool.submit(client.get_sims_page, page=next_page))
                    next_page += 1
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def sync_all(*, progress=None) -> list[SyncResult]:
    return [
        sync_organization(organization=organization, progress=progress)
        for organization in connected_organizations()
    ]


def sync_one(*, sim: Sim) -> Sim:
    """Refresh one SIM from 1NCE now."""
    upstream = onence_client_for(organization=sim.organization).get_sim(sim.iccid)
    result = SyncResult(organization=sim.organization.slug)
    upsert_page(organization=sim.organization, sims=[upstream], result=result)
    sim_cache.invalidate(sim.organization_id)
    sim.refresh_from_db()
    return sim
