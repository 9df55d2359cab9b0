"""One event stream: typed domain events through a transactional outbox.

``publish`` is called by a service inside the transaction of the change that caused the event,
so an event exists exactly when its change committed: none is lost when a worker dies after
the commit, none is sent for a change that rolled back. After the commit the dispatcher runs
(a Celery task enqueued on commit, and a periodic sweep for anything whose task was lost): it
claims pending events in order and hands each to every registered consumer inside one
transaction with the mark that it was dispatched, so each consumer sees each event once.

Consumers (alert rules, webhooks) register with ``register_consumer`` from their app's
``ready()``; they only write rows and enqueue work on commit, never call out. A consumer takes
a list of events (a claimed batch, in order), so it reads what it needs once a batch; one that
thinks in single events registers ``for_each(consumer)``.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import DomainEvent

logger = structlog.get_logger(__name__)

# The stable names receivers may subscribe to (with wildcards such as ``quota.*``).
EVENT_NAMES: tuple[str, ...] = (
    "sim.activated",
    "sim.suspended",
    "quota.threshold_reached",
    "quota.depleted",
    "quota.topped_up",
    "connectivity.lost",
    "connectivity.restored",
    "sms.received",
    "sync.failed",
    "limit.approached",
    "provisioning.request.completed",
    "provisioning.request.failed",
    "outage.created",
    "outage.assigned",
    "outage.resolved",
    "outage.reopened",
    "outage.breach_imminent",
    "outage.breached",
    "sla.calculated",
    "payment.completed",
    "payment.failed",
    "webhook.disabled",
    "webhook.test",
)

Consumer = Callable[[list[DomainEvent]], None]
_consumers: dict[str, Consumer] = {}

# Dispatch attempts before an event that keeps failing a consumer is set aside (logged).
MAX_DISPATCH_ATTEMPTS = 5


def register_consumer(name: str, consumer: Consumer) -> None:
    """Register ``consumer`` (called with a list of events) under ``name`` (a
    re-registration replaces it)."""
    _consumers[name] = consumer


def for_each(consumer: Callable[[DomainEvent], None]) -> Consumer:
    """A consumer of lists from one of single events."""

    def each(events: list[DomainEvent]) -> None:
        for event in events:
            consumer(event)

    return each


def publish(
    name: str,
    *,
    organization_id: int | None,
    subject: str = "",
    data: dict | None = None,
    occurred_at: datetime | None = None,
) -> DomainEvent:
    """Record one event in the current transaction; it is dispatched after the commit."""
    return publish_many([(name, organization_id, subject, data or {}, occurred_at)])[0]


def publish_many(
    events: Iterable[tuple[str, int | None, str, dict, datetime | None]],
) -> list[DomainEvent]:
    """Record several events (name, organization id, subject, data, occurred_at) at once."""
    now = timezone.now()
    rows = [
        DomainEvent(
            name=name,
            organization_id=organization_id,
            subject=subject[:128],
            data=data,
            occurred_at=occurred_at or now,
        )
        for name, organization_id, subject, data, occurred_at in events
    ]
    if not rows:
        return []
    unknown = {row.name for row in rows} - set(EVENT_NAMES)
    if unknown:
        raise ValueError(f"Unknown event name(s): {sorted(unknown)}")
    DomainEvent.objects.bulk_create(rows)
    transaction.on_commit(_enqueue_dispatch)
    return rows


# One dispatch waiting in the queue is enough: when it runs it hands over every pending event.
# A burst of commits (a sync, the demo's seed) queues one task, not one per commit, so nothing
# queued after them waits behind a thousand dispatches. The mark is dropped when the dispatch
# starts, and expires: a lost task holds nothing up for long (the periodic sweep runs anyway).
DISPATCH_QUEUED_KEY = "events:dispatch-queued"
DISPATCH_QUEUED_SECONDS = 30


def _enqueue_dispatch() -> None:
    from core.services import enqueue_once

    enqueue_once(
        settings.EVENT_DISPATCH_TASK, key=DISPATCH_QUEUED_KEY, mark_seconds=DISPATCH_QUEUED_SECONDS
    )


def dispatch_pending(*, batch_size: int = 200) -> int:
    """Hand pending events to every consumer, oldest first; returns how many were dispatched.

    The queued-dispatch mark is dropped first: an event committed from now on queues another
    dispatch, whether or not this one still sees it.

    Events are claimed with ``SKIP LOCKED``, so concurrent dispatchers never share one, and a
    claimed batch is handed over in one transaction with the consumers' writes and the marks
    that it was dispatched: a crash leaves it pending, not half-done. If a consumer fails on
    the batch, its events are handed over again one by one, each in its own transaction, so
    one bad event is set aside without holding up the rest.
    """
    from core.services import forget_enqueued

    forget_enqueued(DISPATCH_QUEUED_KEY)
    dispatched = 0
    while True:
        with transaction.atomic():
            events = list(
                DomainEvent.objects.select_for_update(skip_locked=True)
                .filter(dispatched_at__isnull=True, attempts__lt=MAX_DISPATCH_ATTEMPTS)
                .order_by("id")[:batch_size]
            )
            if not events:
                return dispatched
            try:
                dispatched += _dispatch(events)
            except Exception:
                logger.warning("event_batch_dispatch_failed", events=len(events), exc_info=True)
                dispatched += sum(_dispatch_alone(event) for event in events)
        if len(events) < batch_size:
            return dispatched


def _dispatch(events: list[DomainEvent]) -> int:
    with transaction.atomic():
        for consumer in _consumers.values():
            consumer(events)
        DomainEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            dispatched_at=timezone.now()
        )
    return len(events)


def _dispatch_alone(event: DomainEvent) -> int:
    try:
        return _dispatch([event])
    except Exception as exc:
        logger.exception("event_dispatch_failed", event_id=event.pk, event=event.name)
        DomainEvent.objects.filter(pk=event.pk).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:2000]
        )
        return 0


def prune_dispatched_events(*, older_than_days: int) -> int:
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    deleted, _ = DomainEvent.objects.filter(
        dispatched_at__isnull=False, occurred_at__lt=cutoff
    ).delete()
    return deleted
