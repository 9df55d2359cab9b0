"""Sending, following and cancelling MT messages; mapping 1NCE's view onto our rows."""

import contextlib
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import record_audit
from accounts.models import AuditStatus
from core.context import Context
from core.errors import Conflict, UpstreamNotConnected, UpstreamWriteFailed
from sims.models import Sim
from sims.selectors import connected_sims
from sims.services import onence_client_for
from sms.models import (
    FINAL_STATUSES,
    SmsDirection,
    SmsEncoding,
    SmsMessage,
    SmsStatus,
    SmsSubmission,
)
from sms.selectors import QUEUED_GRACE, unsettled
from sms.services.validation import check_can_receive, validate_message
from upstream.exceptions import (
    UpstreamError,
    UpstreamNotFound,
    UpstreamNotReached,
    UpstreamRejected,
    certainly_not_applied,
)

logger = structlog.get_logger(__name__)

DCS = {SmsEncoding.GSM7: 0, SmsEncoding.UCS2: 8}
# 1NCE's submit dates may differ from our clock by this much when matching a lost answer.
MATCH_SKEW = timedelta(minutes=5)
# A follow-up check may run this much before it is due (broker and clock jitter).
FOLLOW_EARLY = timedelta(seconds=2)
NEVER_RECEIVED = "1NCE never received the message (nothing in its list {seconds} s after the send)."
NOT_REACHED = "1NCE could not be reached; the message was not sent."


def is_outcome_pending(sms: SmsMessage) -> bool:
    """Whether the message's send may or may not have reached 1NCE and is not settled yet:
    it is never sent again meanwhile."""
    return sms.submission != SmsSubmission.SUBMITTED and not sms.is_final


def send_sms(
    *,
    sim: Sim,
    message: str,
    encoding: str = SmsEncoding.GSM7,
    context: Context,
    idempotency_key: str = "",
) -> SmsMessage:
    """Send an MT SMS to ``sim`` through 1NCE (which buffers it while the SIM is offline).

    The row is written ``queued`` before the call. If 1NCE's answer is lost the row becomes
    ``unknown`` and the error is raised (503/504). A retry (same ``Idempotency-Key``, or the
    same text to the same SIM without a key) never sends it again while it is unsettled: it
    looks for it in 1NCE's list and returns the row, submitted when found, else still
    pending (see :func:`is_outcome_pending`). Only once ``SMS_SETTLE_SECONDS`` have passed with
    nothing at 1NCE (the row is then ``failed``) does a retry send it again, as a new row. A
    send that never reached 1NCE marks the row ``failed`` with the reason; a refused one (4xx)
    removes it; both raise.
    """
    validate_message(message=message, encoding=encoding)
    check_can_receive(sim=sim)
    client = onence_client_for(organization=sim.organization)
    earlier = _earlier_attempt(sim=sim, message=message, user=context.actor, key=idempotency_key)
    if earlier is not None and (earlier.message, earlier.encoding) != (message, encoding):
        raise Conflict(
            "This Idempotency-Key was used for a different message.",
            details={"sms_id": earlier.sms_id},
        )
    if earlier is not None and is_outcome_pending(earlier):
        with contextlib.suppress(UpstreamError):  # unreadable: still pending, never resent
            reconcile_unknown(sim=sim, client=client, include_queued=earlier)
        earlier.refresh_from_db()
    if earlier is not None and (
        earlier.submission == SmsSubmission.SUBMITTED or is_outcome_pending(earlier)
    ):
        return earlier
    # No earlier send, or one settled as never sent: a new row, written before the call.
    sms = SmsMessage.objects.create(
        organization_id=sim.organization_id,
        sim=sim,
        direction=SmsDirection.MT,
        status=SmsStatus.PENDING,
        encoding=encoding,
        message=message,
        submission=SmsSubmission.QUEUED,
        created_by=context.actor,
        idempotency_key=idempotency_key,
    )
    try:
        upstream_id = client.send_sms(sim.iccid, payload=message, dcs=DCS[encoding])
    except UpstreamNotReached as exc:
        _settle_not_sent(sms, NOT_REACHED)
        _audit(sms, context, AuditStatus.FAILED, str(exc))
        raise UpstreamWriteFailed(
            f"{NOT_REACHED} ({exc.public_message})",
            cause=exc,
            details={"sms_id": sms.sms_id, "status": SmsStatus.FAILED, "sent": False},
        ) from exc
    except UpstreamError as exc:
        if certainly_not_applied(exc):
            sms.delete()
            _audit(sms, context, AuditStatus.FAILED, str(exc))
            raise
        SmsMessage.objects.filter(pk=sms.pk).update(submission=SmsSubmission.UNKNOWN)
        with contextlib.suppress(UpstreamError):
            reconcile_unknown(sim=sim, client=client)
        sms.refresh_from_db()
        if sms.submission != SmsSubmission.SUBMITTED:
            _audit(sms, context, AuditStatus.FAILED, str(exc))
            raise UpstreamWriteFailed(
                f"1NCE did not confirm the SMS ({exc.public_message}). Retrying is safe: it "
                "is never sent again before 1NCE's list shows it or the settle window passes.",
                cause=exc,
                details={
                    "sms_id": sms.sms_id,
                    "submission": sms.submission,
                    "status_url": status_url(sms),
                    "settles_by": settles_by(sms),
                },
            ) from exc
    else:
        sms.upstream_id = upstream_id
        sms.submission = SmsSubmission.SUBMITTED
        sms.submitted_at = timezone.now()
        sms.save(update_fields=["upstream_id", "submission", "submitted_at", "updated_at"])
        if upstream_id is None:  # 1NCE answered without an id: find it in the SIM's list
            with contextlib.suppress(UpstreamError):
                reconcile_unknown(sim=sim, client=client, include_submitted=True)
    _audit(sms, context, AuditStatus.SUCCESS)
    follow_delivery(sms)
    sms.refresh_from_db()
    return sms


def follow_delivery(sms: SmsMessage) -> None:
    """Have the message's status read again once its first delivery attempt is due
    (``SMS_FOLLOW_SECONDS`` after the send, enqueued after commit), so the mirror, the console
    included, shows it delivered within seconds; the periodic SMS sync follows it after that
    until it is final."""
    from sms.tasks import follow_sms  # the tasks module calls these services

    # Robust: the message is sent whatever happens here (a broker outage only delays the
    # mirror until the next sync); the failure is logged, never answered to the sender.
    transaction.on_commit(
        lambda: follow_sms.apply_async(args=[sms.pk], countdown=settings.SMS_FOLLOW_SECONDS),
        robust=True,
    )


def follow_up(*, sms: SmsMessage) -> SmsMessage:
    """The delayed check :func:`follow_delivery` enqueues: read the status from 1NCE once the
    delivery is due (a run before that, a task run eagerly, reads nothing: the sync follows)."""
    due = (sms.submitted_at or sms.created_at) + timedelta(seconds=settings.SMS_FOLLOW_SECONDS)
    if timezone.now() < due - FOLLOW_EARLY:
        return sms
    return refresh_status(sms=sms)


def status_url(sms: SmsMessage) -> str:
    return f"/api/v1/sims/{sms.sim.iccid}/sms/{sms.sms_id}"


def settles_by(sms: SmsMessage):
    """When an unsettled send is taken as never sent at the latest."""
    return sms.created_at + timedelta(seconds=settings.SMS_SETTLE_SECONDS)


def _settle_not_sent(sms: SmsMessage, reason: str) -> None:
    now = timezone.now()
    SmsMessage.objects.filter(pk=sms.pk).update(
        status=SmsStatus.FAILED, failure_reason=reason, finished_at=now, updated_at=now
    )
    sms.refresh_from_db()


def _earlier_attempt(*, sim, message, user, key) -> SmsMessage | None:
    rows = SmsMessage.objects.filter(sim=sim, direction=SmsDirection.MT, created_by=user)
    if key:
        # A key names its send: a new key is a new message, even with the same text.
        return rows.filter(idempotency_key=key).order_by("-id").first() if user else None
    # Without a key, only the same sender's unsettled message counts as the same send: one
    # whose answer was lost, or one left queued by a process that died (a young queued one may
    # still be on its way and is not touched).
    lost = Q(submission=SmsSubmission.UNKNOWN) | Q(
        submission=SmsSubmission.QUEUED, created_at__lt=timezone.now() - QUEUED_GRACE
    )
    return (
        rows.filter(lost, message=message)
        .exclude(status__in=FINAL_STATUSES)
        .order_by("-id")
        .first()
    )


def _audit(sms, context: Context, audit_status, error="") -> None:
    record_audit(
        operation="SEND_SMS",
        resource_type="sim",
        resource_id=sms.sim.iccid,
        organization=sms.sim.organization,
        status=audit_status,
        context=context,
        request_body={"sms_id": sms.sms_id, "encoding": sms.encoding, "length": len(sms.message)},
        response_status=202 if audit_status == AuditStatus.SUCCESS else None,
        error_message=error,
    )


def reconcile_unknown(
    *, sim: Sim, client=None, include_submitted: bool = False, include_queued=None
) -> int:
    """Match the SIM's unsettled MT rows (:func:`unsettled`) against 1NCE's list of its
    messages (same text, submitted after our row, id not yet ours). Matched rows become
    ``submitted``; a row still unmatched ``SMS_SETTLE_SECONDS`` after it was sent is settled
    as never sent (``failed``, with the reason); the rest stay pending. Returns how many
    were matched."""
    wanted = Q(pk__in=unsettled(sims=[sim]).values("pk"))
    if include_queued is not None:  # the caller's own queued row, whatever its age
        wanted |= Q(pk=include_queued.pk)
    if include_submitted:  # also accepted ones whose id 1NCE did not tell us
        wanted |= Q(submission=SmsSubmission.SUBMITTED, upstream_id__isnull=True)
    rows = SmsMessage.objects.filter(wanted, sim=sim, direction=SmsDirection.MT).exclude(
        status__in=FINAL_STATUSES
    )
    open_rows = list(rows.order_by("created_at", "id"))
    if not open_rows:
        return 0
    client = client or onence_client_for(organization=sim.organization)
    since = open_rows[0].created_at - MATCH_SKEW
    candidates = [
        item
        for item in client.list_sms(sim.iccid)
        if item.sms_type.upper() == "MT"
        and (item.submitted_at is None or item.submitted_at >= since)
    ]
    known = set(
        SmsMessage.objects.filter(sim=sim, upstream_id__isnull=False).values_list(
            "upstream_id", flat=True
        )
    )
    settle_before = timezone.now() - timedelta(seconds=settings.SMS_SETTLE_SECONDS)
    matched = 0
    for row in open_rows:
        hit = next(
            (
                item
                for item in sorted(candidates, key=lambda i: (i.submitted_at or since, i.id))
                if item.id not in known
                and item.payload == row.message
                and (item.submitted_at is None or item.submitted_at >= row.created_at - MATCH_SKEW)
            ),
            None,
        )
        if hit is not None:
            known.add(hit.id)
            row.upstream_id = hit.id
            row.submission = SmsSubmission.SUBMITTED
            row.submitted_at = row.submitted_at or hit.submitted_at or timezone.now()
            apply_upstream(row, hit)
            matched += 1
        elif row.submission != SmsSubmission.SUBMITTED and row.created_at < settle_before:
            _settle_not_sent(row, NEVER_RECEIVED.format(seconds=settings.SMS_SETTLE_SECONDS))
            logger.info("sms_settled_not_sent", sms_id=row.sms_id)
    return matched


def reconcile_sms(*, organization=None) -> dict:
    """Settle every SIM's unsettled MT messages (one list read per SIM); returns counts."""
    rows = unsettled().filter(sim__in=connected_sims())  # no account: nothing to ask 1NCE
    if organization is not None:
        rows = rows.filter(organization=organization)
    sim_ids = set(rows.values_list("sim_id", flat=True))
    stats = {"sims": 0, "matched": 0, "errors": 0}
    for sim in Sim.objects.select_related("organization").filter(pk__in=sim_ids).order_by("id"):
        try:
            stats["matched"] += reconcile_unknown(sim=sim)
        except UpstreamError as exc:
            stats["errors"] += 1
            logger.warning("sms_reconcile_failed", iccid=sim.iccid, error=str(exc))
        else:
            stats["sims"] += 1
    stats["open"] = unsettled().count()
    return stats


def apply_upstream(row: SmsMessage, item) -> SmsMessage:
    """Copy 1NCE's view of a message (``upstream.onence.models.SmsMessage``) onto ``row`` and
    save it. 1NCE's PENDING is our ``sent`` once a delivery was attempted."""
    now = timezone.now()
    upstream_status = (item.status or "").upper()
    attempted = item.last_delivery_attempt_at or (item.retry_count or 0) > 0
    if row.status != SmsStatus.CANCELLED:
        if upstream_status == "DELIVERED":
            row.status = SmsStatus.DELIVERED
            row.delivered_at = item.delivered_at or item.final_at or now
            row.sent_at = row.sent_at or item.last_delivery_attempt_at or row.delivered_at
            row.finished_at = row.delivered_at
        elif upstream_status == "FAILED":
            row.status, row.failure_reason = SmsStatus.FAILED, "1NCE could not deliver it."
        elif upstream_status == "EXPIRED":
            row.status = SmsStatus.EXPIRED
            row.failure_reason = "The SIM was not reachable before the message expired."
        elif upstream_status == "PENDING" and attempted:
            row.status = SmsStatus.SENT
            row.sent_at = row.sent_at or item.last_delivery_attempt_at or now
        if row.status in (SmsStatus.FAILED, SmsStatus.EXPIRED):
            row.finished_at = item.final_at or now
            row.sent_at = row.sent_at or item.last_delivery_attempt_at
    row.retry_count = item.retry_count or 0
    row.expires_at = item.expires_at or row.expires_at
    row.submitted_at = row.submitted_at or item.submitted_at
    row.last_checked_at = now
    row.save()
    return row


def refresh_status(*, sms: SmsMessage, client=None) -> SmsMessage:
    """Read one MT message's status from 1NCE (raises ``UpstreamError``)."""
    if sms.direction != SmsDirection.MT or sms.is_final:
        return sms
    if sms.upstream_id is None:
        reconcile_unknown(sim=sms.sim, client=client, include_submitted=True)
        sms.refresh_from_db()
        return sms
    client = client or onence_client_for(organization=sms.sim.organization)
    try:
        item = client.get_sms(sms.sim.iccid, sms.upstream_id)
    except UpstreamNotFound:
        SmsMessage.objects.filter(pk=sms.pk).update(last_checked_at=timezone.now())
        return sms
    return apply_upstream(sms, item)


def fresh_status(*, sms: SmsMessage) -> SmsMessage:
    """For a read: refresh a message still on its way when its status is over
    ``SMS_STATUS_REFRESH_SECONDS`` old; keep the stored one when 1NCE cannot be read."""
    stale_before = timezone.now() - timedelta(seconds=settings.SMS_STATUS_REFRESH_SECONDS)
    if sms.is_final or sms.direction != SmsDirection.MT:
        return sms
    if sms.last_checked_at and sms.last_checked_at > stale_before:
        return sms
    try:
        return refresh_status(sms=sms)
    except (UpstreamError, UpstreamNotConnected) as exc:
        logger.warning("sms_status_refresh_failed", sms_id=sms.sms_id, error=str(exc))
        return sms


def _refuse_if_final(sms: SmsMessage) -> None:
    if sms.is_final:
        raise Conflict(
            f"The message is already {sms.status} and can no longer be cancelled.",
            details={"sms_id": sms.sms_id, "status": sms.status},
        )


def cancel_sms(*, sms: SmsMessage, context: Context) -> SmsMessage:
    """Cancel an MT message 1NCE has not delivered yet; ``Conflict`` (409) once it is
    delivered or otherwise final."""
    if sms.direction != SmsDirection.MT:
        raise Conflict("Only messages sent to the SIM (MT) can be cancelled.")
    _refuse_if_final(sms)
    client = onence_client_for(organization=sms.sim.organization)
    refresh_status(sms=sms, client=client)  # it may have been delivered a moment ago
    sms.refresh_from_db()
    _refuse_if_final(sms)
    if sms.upstream_id is not None:
        try:
            client.cancel_sms(sms.sim.iccid, sms.upstream_id)
        except UpstreamRejected:
            refresh_status(sms=sms, client=client)
            sms.refresh_from_db()
            _refuse_if_final(sms)
            raise
    with transaction.atomic():
        sms.status, sms.finished_at = SmsStatus.CANCELLED, timezone.now()
        sms.save(update_fields=["status", "finished_at", "updated_at"])
        record_audit(
            operation="CANCEL_SMS",
            resource_type="sim",
            resource_id=sms.sim.iccid,
            organization=sms.sim.organization,
            context=context,
            request_body={"sms_id": sms.sms_id},
            response_status=204,
        )
    return sms
