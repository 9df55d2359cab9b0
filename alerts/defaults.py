"""The alert rules every organization starts with (plain data: the service and the data
migration both read it)."""

ADMINS_BY_EMAIL = [{"type": "email", "to": "admins"}]

DEFAULT_RULES: list[dict] = [
    {
        "name": "Quota over 80 %",
        "event_types": ["quota.threshold_reached"],
        "conditions": {"min_threshold": 80},
        "dedup_window_minutes": 24 * 60,
    },
    {
        "name": "Usage limit approached",
        "event_types": ["limit.approached"],
        "dedup_window_minutes": 24 * 60,
    },
    {"name": "Quota depleted", "event_types": ["quota.depleted"], "dedup_window_minutes": 24 * 60},
    {
        "name": "Connectivity lost for 15 minutes",
        "event_types": ["connectivity.lost"],
        "notify_after_minutes": 15,
        "dedup_window_minutes": 60,
    },
    {"name": "Sync failures", "event_types": ["sync.failed"], "dedup_window_minutes": 6 * 60},
    {
        "name": "Outage about to breach its SLA",
        "event_types": ["outage.breach_imminent"],
        "dedup_window_minutes": 24 * 60,
    },
    {"name": "Payment failed", "event_types": ["payment.failed"], "dedup_window_minutes": 60},
    {
        "name": "Webhook disabled",
        "event_types": ["webhook.disabled"],
        "dedup_window_minutes": 24 * 60,
    },
]
