"""1NCE Data Streamer: the credentials a stream presents, and the ingest of its batches.

A batch is taken whole or not at all: any invalid record refuses it (400) with nothing
written. Events are stored once per organization and 1NCE event id, so a re-delivered batch
(1NCE resends what was not acknowledged) changes nothing. Events of ICCIDs that are not SIMs
of the stream's organization are stored and counted, never applied to anyone else's SIMs.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import record_audit
from core.context import Context
from core.errors import BadRequest, Conflict
from sims.models import OnenceAccount, Sim
from sites import datastreamer
from sites.models import DataStream, StreamEvent
from sites.services.base import organization_lock
from sites.services.correlation import Observation, correlate

USERNAME_PREFIX = "ds_"
USERNAME = re.compile(r"ds_[0-9a-f]{16}")


@dataclass
class IngestReport:
    received: int = 0
    duplicates: int = 0
    stored: int = 0
    unknown_sims: int = 0
    transitions: int = 0
    outages_opened: list[str] = field(default_factory=list)
    outages_resolved: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@transaction.atomic
def create_stream(
    *, organization, context: Context, onence_account: OnenceAccount | None = None
) -> tuple[DataStream, str]:
    """New Data Streamer credentials for one of the organization's 1NCE accounts (None: the
    default account it owns). Answers the stream and its secret, shown this once; creating
    again for the same account replaces the old credentials."""
    if onence_account is not None and onence_account.organization_id != organization.pk:
        raise Conflict("That 1NCE account belongs to another organization.")
    DataStream.objects.filter(organization=organization, onence_account=onence_account).delete()
    secret = secrets.token_urlsafe(32)
    stream = DataStream.objects.create(
        organization=organization,
        onence_account=onence_account,
        username=USERNAME_PREFIX + secrets.token_hex(8),
        secret_hash=secret_digest(secret),
    )
    record_audit(
        operation="create_data_stream",
        resource_type="data_stream",
        resource_id=stream.username,
        organization=organization,
        context=context,
    )
    return stream, secret


def secret_digest(secret: str) -> str:
    """SHA-256 of the secret. The secret is 256 random bits, not a password a person chose,
    so a slow password hash adds nothing but a delay to every batch 1NCE posts."""
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate_stream(username: str, secret: str) -> DataStream | None:
    """The active stream these Basic credentials open, or None."""
    stream = None
    if USERNAME.fullmatch(username or ""):  # what we issue; nothing else reaches the database
        stream = (
            DataStream.objects.select_related("organization")
            .filter(username=username, is_active=True, organization__is_active=True)
            .first()
        )
    digest = secret_digest(secret)
    expected = stream.secret_hash if stream is not None else secret_digest("")
    if not hmac.compare_digest(digest, expected) or stream is None:
        return None
    return stream


def ingest(*, stream: DataStream, body, context: Context) -> IngestReport:
    """Take one Data Streamer POST body (a list of event records) for ``stream``."""
    events, errors = datastreamer.parse_batch(body)
    if errors:
        raise BadRequest(
            "The batch was refused: no event of it was taken.", details={"errors": errors}
        )
    report = IngestReport(received=len(events))
    organization = stream.organization
    with transaction.atomic():
        organization_lock(organization.pk)
        by_id = {}
        for event in events:
            by_id.setdefault(event.event_id, event)  # a batch may repeat an event
        seen = set(
            StreamEvent.objects.filter(
                organization=organization, event_id__in=list(by_id)
            ).values_list("event_id", flat=True)
        )
        fresh = [e for pk, e in by_id.items() if pk not in seen]
        report.duplicates = len(events) - len(fresh)
        sims = dict(
            Sim.objects.filter(
                organization=organization, iccid__in={e.iccid for e in fresh}
            ).values_list("iccid", "pk")
        )
        StreamEvent.objects.bulk_create(
            [
                StreamEvent(
                    organization=organization,
                    stream=stream,
                    event_id=e.event_id,
                    iccid=e.iccid,
                    sim_id=sims.get(e.iccid),
                    event_type_id=e.event_type_id,
                    event_type=e.event_type,
                    transition=e.transition,
                    occurred_at=e.occurred_at,
                    payload=e.payload,
                )
                for e in fresh
            ]
        )
        report.stored = len(fresh)
        report.unknown_sims = sum(1 for e in fresh if e.iccid not in sims)
        observations = [
            Observation(
                sim_id=sims[e.iccid],
                online=e.transition == datastreamer.RESTORED,
                at=e.occurred_at,
                event_id=e.event_id,
                event_type=e.event_type,
            )
            for e in fresh
            if e.iccid in sims and e.transition != datastreamer.NONE
        ]
        outcome = correlate(organization=organization, observations=observations)
        report.transitions = outcome.transitions
        report.outages_opened = outcome.outages_opened
        report.outages_resolved = outcome.outages_resolved
        DataStream.objects.filter(pk=stream.pk).update(
            last_received_at=timezone.now(), events_received=F("events_received") + len(fresh)
        )
        record_audit(
            operation="ingest_data_stream",
            resource_type="data_stream",
            resource_id=stream.username,
            organization=organization,
            context=context,
            request_body={k: v for k, v in report.as_dict().items() if not isinstance(v, list)},
        )
    return report
