"""Optional error tracking with Sentry (``SENTRY_DSN``; off when unset).

Errors of the web (Django) and the worker (Celery) are sent without personal data
(``send_default_pii`` off: no user, address, cookies or bodies) and without local variables
(a frame's locals may hold a credential under any name); every event then passes through
``core.logging``'s redactors, the rule our logs follow, before it leaves: secret-named fields
blanked and secret query parameters replaced, in messages, URLs, breadcrumbs and extras.
"""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from core.logging import redact_value

# Deeper than any Sentry event nests (exception > values > stacktrace > frames > ...).
MAX_EVENT_DEPTH = 32


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """The event as our logs would write it: secrets redacted."""
    return redact_value(event, max_depth=MAX_EVENT_DEPTH)


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=lambda crumb, hint: redact_value(crumb, max_depth=MAX_EVENT_DEPTH),
        traces_sample_rate=traces_sample_rate,
    )
