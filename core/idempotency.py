"""``Idempotency-Key`` for POSTs that move money or quota or send messages.

Decorate the view method with :func:`idempotent`. The first request with a key runs and its
answer is stored; a repeat with the same key and the same request gets that answer back
(header ``Idempotent-Replayed: true``) and runs nothing; the same key with a different
request, or while the first is still running, answers 409. Keys are per user and kept
``IDEMPOTENCY_KEY_TTL_HOURS``.

A running request holds its key for ``IDEMPOTENCY_LOCK_SECONDS`` (longer than any request may
run). A key still ``in_progress`` after that belongs to a request whose web worker died
mid-way: the next retry with the same key and body takes it over and runs the view again,
which resumes the work by its key (the services look up what the first attempt did), instead
of answering 409 until the key expires and pushing the client to a new key.

If the view fails before answering, the key is released so the client may retry; a view
whose upstream outcome is ambiguous must record that itself (and reconcile before redoing it),
and may mark a "pending" answer ``response.idempotency_provisional = True`` so that it is not
kept as the key's answer.
"""

import functools
import hashlib
import json
import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.exceptions import Conflict
from core.models import IdempotencyKey, IdempotencyStatus

HEADER = "Idempotency-Key"

# For ``@extend_schema(parameters=[...])`` on every view method decorated with @idempotent.
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="A repeat with the same key returns the first answer and does nothing twice.",
)


def request_fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    material = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(material.encode()).hexdigest()


def idempotent(view_method):
    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view_method(view, request, *args, **kwargs)
        if len(key) > 255:
            raise ValidationError({HEADER: ["At most 255 characters."]})
        fingerprint = request_fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:512],
                    fingerprint=fingerprint,
                    status=IdempotencyStatus.IN_PROGRESS,
                    locked_until=_lease_end(),
                )
        except IntegrityError:
            record = _take_over(request, key, fingerprint)
            if record is None:
                return replay(request, key, fingerprint)
        try:
            response = view_method(view, request, *args, **kwargs)
        except BaseException:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise
        # A provisional answer (an upstream outcome still pending) is not the key's answer:
        # a retry runs again and gets the settled one.
        if response.status_code >= 500 or getattr(response, "idempotency_provisional", False):
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyKey.objects.filter(pk=record.pk).update(
            status=IdempotencyStatus.COMPLETED,
            response_status=response.status_code,
            response_body=json.loads(json.dumps(response.data, default=str)),
        )
        return response

    return wrapper


def _lease_end():
    return timezone.now() + timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)


def _take_over(request, key: str, fingerprint: str) -> IdempotencyKey | None:
    """The key's record if its holder's lease ran out (the holder died): this request now
    holds it. None when the key is completed, held, or for another request (see replay)."""
    now = timezone.now()
    taken = IdempotencyKey.objects.filter(
        user=request.user,
        key=key,
        fingerprint=fingerprint,
        status=IdempotencyStatus.IN_PROGRESS,
    ).filter(Q(locked_until__lt=now) | Q(locked_until__isnull=True, created_at__lt=now - _lease()))
    # One conditional update: of two retries racing for a dead holder's key, one wins.
    if not taken.update(locked_until=_lease_end()):
        return None
    return IdempotencyKey.objects.get(user=request.user, key=key)


def _lease() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)


def replay(request, key: str, fingerprint: str) -> Response:
    record = IdempotencyKey.objects.get(user=request.user, key=key)
    if record.fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was used for a different request.",
            details={"idempotency_key": key},
        )
    if record.status != IdempotencyStatus.COMPLETED:
        lease_end = record.locked_until or record.created_at + _lease()
        retry_after = max(1, math.ceil((lease_end - timezone.now()).total_seconds()))
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            details={"idempotency_key": key, "retry_after": retry_after},
        )
    return Response(
        record.response_body,
        status=record.response_status,
        headers={"Idempotent-Replayed": "true"},
    )


def prune_idempotency_keys() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
