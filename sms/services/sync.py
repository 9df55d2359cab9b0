"""Following MT delivery and mirroring MO messages from 1NCE."""

from dataclasses import dataclass

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sims.events import record_event
from sims.models import EventSource, EventType, Sim, SimStatus
from sims.selectors import connected_sims
from sims.services import onence_client_for
from sms.models import (
    FINAL_STATUSES,
    SmsDirection,
    SmsEncoding,
    SmsMessage,
    SmsStatus,
    SmsSubmission,
    SmsSyncState,
)
from sms.services.messages import apply_upstream, reconcile_unknown, refresh_status
from upstream.exceptions import UpstreamError

logger = structlog.get_logger(__name__)


@dataclass
class SmsSyncResult:
    sims: int = 0
    received: int = 0
    updated: int = 0
    errors: int = 0


def sync_sim_sms(*, sim: Sim, client=None) -> SmsSyncResult:
    """Read the SIM's messages from 1NCE, newest first, until a page holds nothing new:
    new MO messages are stored with an ``sms_received`` event; MT ones update our rows (or
    are stored, when sent from elsewhere). Open MT rows not on those pages are read one by
    one. Raises ``UpstreamError`` when 1NCE cannot be read."""
    client = client or onence_client_for(organization=sim.organization)
    result = SmsSyncResult(sims=1)
    reconcile_unknown(sim=sim, client=client, include_submitted=True)
    rows = {
        row.upstream_id: row
        for row in SmsMessage.objects.filter(sim=sim, upstream_id__isnull=False).exclude(
            status__in=FINAL_STATUSES - {SmsStatus.CANCELLED}
        )
    }
    final_ids = set(
        SmsMessage.objects.filter(
            sim=sim, upstream_id__isnull=False, status__in=FINAL_STATUSES
        ).values_list("upstream_id", flat=True)
    )
    seen = set()
    page_number = 1
    while True:
        page = client.get_sms_page(sim.iccid, page=page_number)
        news = 0
        for item in page.items:
            seen.add(item.id)
            if item.id in final_ids:
                continue
            news += 1
            row = rows.get(item.id)
            if row is not None:
                if row.status != SmsStatus.CANCELLED:
                    before = row.status
                    apply_upstream(row, item)
                    result.updated += row.status != before
                continue
            if _store_new(sim, item):
                result.received += item.sms_type.upper() == "MO"
        if not news or not page.has_next:
            break
        page_number += 1
    for row in SmsMessage.objects.filter(
        sim=sim, direction=SmsDirection.MT, submission=SmsSubmission.SUBMITTED
    ).exclude(status__in=FINAL_STATUSES):
        if row.upstream_id not in seen:
            before = row.status
            refresh_status(sms=row, client=client)
            result.updated += row.status != before
    SmsSyncState.objects.update_or_create(sim=sim, defaults={"synced_at": timezone.now()})
    return result


def _store_new(sim: Sim, item) -> bool:
    direction = SmsDirection.MO if item.sms_type.upper() == "MO" else SmsDirection.MT
    encoding = SmsEncoding.UCS2 if item.dcs == 8 else SmsEncoding.GSM7
    at = item.submitted_at or timezone.now()
    try:
        with transaction.atomic():
            row = SmsMessage.objects.create(
                organization_id=sim.organization_id,
                sim=sim,
                direction=direction,
                encoding=encoding,
                message=item.payload,
                source_address=item.source_address,
                upstream_id=item.id,
                submission=SmsSubmission.SUBMITTED,
                created_at=at,
                submitted_at=at,
            )
            apply_upstream(row, item)
            if direction == SmsDirection.MO:
                record_event(
                    sim=sim,
                    event_type=EventType.SMS_RECEIVED,
                    description=f"SMS received: {item.payload[:80]}",
                    details={
                        "sms_id": row.sms_id,
                        "upstream_id": item.id,
                        "from": item.source_address,
                    },
                    source=EventSource.ONENCE,
                    upstream_id=f"sms-{item.id}",
                    occurred_at=at,
                )
    except IntegrityError:  # stored meanwhile by another sync
        return False
    return True


def sims_to_sync(*, batch_size: int | None = None) -> list[Sim]:
    """SIMs with messages on their way, then the enabled SIMs read longest ago (for MO)."""
    batch_size = batch_size or settings.SMS_SYNC_BATCH_SIZE
    connected = connected_sims()
    open_ids = set(
        SmsMessage.objects.filter(direction=SmsDirection.MT, sim__in=connected)
        .exclude(status__in=FINAL_STATUSES)
        .values_list("sim_id", flat=True)
    )
    rotation = list(
        connected.filter(status=SimStatus.ENABLED)
        .exclude(pk__in=open_ids)
        .order_by(F("sms_sync__synced_at").asc(nulls_first=True), "id")
        .values_list("id", flat=True)[:batch_size]
    )
    return list(Sim.objects.select_related("organization").filter(pk__in=[*open_ids, *rotation]))


def sync_sms(*, sims: list[Sim] | None = None, progress=None) -> SmsSyncResult:
    """Sync the messages of ``sims`` (default: :func:`sims_to_sync`); one SIM failing is
    logged and counted, the rest go on."""
    total = SmsSyncResult()
    for sim in sims if sims is not None else sims_to_sync():
        try:
            result = sync_sim_sms(sim=sim)
        except UpstreamError as exc:
            total.errors += 1
            logger.warning("sms_sync_failed", iccid=sim.iccid, error=str(exc))
        else:
            total.sims += 1
            total.received += result.received
            total.updated += result.updated
        if progress is not None:
            progress(1)
    logger.info("sms_sync_finished", **vars(total))
    return total
