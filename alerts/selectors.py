"""Reads of the alerts app."""

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet

from accounts.models import Role
from alerts.models import Alert, AlertStatus, WebhookDelivery


def organization_admin_emails(organization_id: int) -> list[str]:
    """The e-mail addresses of the organization's active admins."""
    users = (
        get_user_model()
        .objects.filter(organization_id=organization_id, role=Role.ADMIN, is_active=True)
        .exclude(email="")
    )
    return list(users.order_by("id").values_list("email", flat=True))


def live_alerts_by_type(queryset: QuerySet[Alert]) -> list[dict]:
    """Open and acknowledged alerts counted by event type, most first."""
    return list(
        queryset.filter(status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
        .values("event_type")
        .annotate(count=Count("id"))
        .order_by("-count", "event_type")
    )


def deliveries_of(webhook) -> QuerySet[WebhookDelivery]:
    return webhook.deliveries.select_related("event").order_by("-created_at", "-id")
