"""The alerts panel of the console dashboard."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, AlertStatus, DeliveryStatus, Webhook, WebhookDelivery
from alerts.selectors import live_alerts_by_type
from core.dashboard import Chart, PanelContent, Series, Stat, register_panel


@register_panel("alerts.open", title="Open alerts", group="Operations", order=20)
def open_alerts(scope) -> PanelContent:
    alerts_url = reverse("admin:alerts_alert_changelist")
    by_type = live_alerts_by_type(scope.filter(Alert.objects.all()))
    since = timezone.now() - timedelta(hours=24)
    failed = scope.filter(
        WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED, created_at__gte=since)
    ).count()
    disabled = scope.filter(Webhook.objects.filter(is_active=False)).count()
    open_count = sum(row["count"] for row in by_type)
    return PanelContent(
        stats=[
            Stat(
                "Open or acknowledged",
                open_count,
                f"{alerts_url}?status__exact={AlertStatus.OPEN}",
                tone="danger" if open_count else "ok",
            ),
            Stat(
                "Failed webhook deliveries (24 h)",
                failed,
                reverse("admin:alerts_webhookdelivery_changelist")
                + f"?status__exact={DeliveryStatus.FAILED}",
                tone="warning" if failed else "ok",
            ),
            Stat(
                "Disabled webhooks",
                disabled,
                reverse("admin:alerts_webhook_changelist") + "?is_active__exact=0",
                tone="warning" if disabled else "ok",
            ),
        ],
        chart=Chart(
            kind="doughnut",
            labels=[row["event_type"] for row in by_type],
            series=[Series("Alerts", [row["count"] for row in by_type])],
            links=[f"{alerts_url}?event_type={row['event_type']}" for row in by_type],
        )
        if by_type
        else None,
        note="" if by_type else "No open alerts.",
    )
