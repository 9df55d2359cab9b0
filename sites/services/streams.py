"""1NCE Data Streamer: the credentials a stream presents, and the ingest of its batches.

A batch is taken whole or not at all: any invalid record refuses it (400) with nothing
written. Events are stored once per organization and 1NCE event id, so a re-delivered batch
(1NCE resends what was not acknowledged) changes nothing. Events of ICCIDs that are not SIMs
of the stream's organization are stored and counted, never applied to anyone else's SIMs.
"""

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass, field

from django.db import connection, transaction
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
        _store(stream=stream, events=fresh, sims=sims)
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


COPY_FIELDS = (
    "organization",
    "stream",
    "event_id",
    "iccid",
    "sim",
    "event_type_id",
    "event_type",
    "transition",
    "occurred_at",
    "received_at",
    "payload",
)
FOREIGN_KEYS = {"organization", "stream", "sim"}


def _store(*, stream: DataStream, events: list, sims: dict[str, int]) -> None:
    """Insert the events; on PostgreSQL with COPY (a bulk INSERT quotes every JSON payload
    in Python, which was most of an ingest's time)."""
    now = timezone.now()
    rows = [
        (
            stream.organization_id,
            stream.pk,
            e.event_id,
            e.iccid,
            sims.get(e.iccid),
            e.event_type_id,
            e.event_type,
            e.transition,
            e.occurred_at,
            now,
            e.payload,
        )
        for e in events
    ]
    columns = [f"{name}_id" if name in FOREIGN_KEYS else name for name in COPY_FIELDS]
    if connection.vendor != "postgresql":
        StreamEvent.objects.bulk_create(
            [StreamEvent(**dict(zip(columns, row, strict=True))) for row in rows]
        )
        return
    table = StreamEvent._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((*row[:-1], json.dumps(row[-1])))
