"""The alerts app's services: webhooks and deliveries, rules and alerts, notifications."""

from alerts.services.defaults import ensure_default_rules
from alerts.services.notifications import notify, send, sweep_due_notifications
from alerts.services.rules import (
    acknowledge,
    create_rule,
    delete_rule,
    evaluate,
    open_due_alerts,
    resolve,
    update_rule,
)
from alerts.services.webhooks import (
    create_webhook,
    delete_webhook,
    drain,
    fan_out,
    prune_deliveries,
    redeliver,
    send_test_event,
    sweep_due_deliveries,
    update_webhook,
)

__all__ = [
    "acknowledge",
    "create_rule",
    "create_webhook",
    "delete_rule",
    "delete_webhook",
    "drain",
    "ensure_default_rules",
    "evaluate",
    "fan_out",
    "notify",
    "open_due_alerts",
    "prune_deliveries",
    "redeliver",
    "resolve",
    "send",
    "send_test_event",
    "sweep_due_deliveries",
    "sweep_due_notifications",
    "update_rule",
    "update_webhook",
]
