"""Every periodic task, declared once. ``manage.py setup_periodic_tasks`` writes them to
django-celery-beat; operators may then change schedules in the admin and keep them.

Found by ``core`` through ``settings.PERIODIC_TASKS_MODULE`` (core imports nothing above it)."""

from django.conf import settings

from core.schedules import Schedule

PERIODIC_TASKS: list[Schedule] = [
    Schedule(
        name="sync-sims",
        task="sims.tasks.sync_sims",
        every_seconds=15 * 60,
        expires_seconds=14 * 60,
        description="Mirror every connected organization's SIMs from 1NCE.",
    ),
    Schedule(
        name="sync-usage",
        task="usage.tasks.sync_usage",
        every_seconds=60 * 60,
        expires_seconds=55 * 60,
        description="Fetch new daily usage of every active SIM from 1NCE (incremental).",
    ),
    Schedule(
        name="check-quotas",
        task="quotas.tasks.check_quotas",
        every_seconds=30 * 60,
        expires_seconds=29 * 60,
        description="Evaluate quota thresholds and run auto top-up rules.",
    ),
    Schedule(
        name="refresh-quotas",
        task="quotas.tasks.refresh_quotas",
        every_seconds=15 * 60,
        expires_seconds=14 * 60,
        description="Read the quotas of the SIMs read longest ago from 1NCE (bounded per run).",
    ),
    Schedule(
        name="refresh-connectivity",
        task="sims.tasks.refresh_connectivity",
        every_seconds=15 * 60,
        expires_seconds=14 * 60,
        description="Read RAT, country and operator of the SIMs read longest ago (bounded).",
    ),
    Schedule(
        name="sync-sms",
        task="sms.tasks.sync_sms",
        every_seconds=5 * 60,
        expires_seconds=4 * 60 + 30,
        description="Follow the delivery of sent SMS and mirror received (MO) messages.",
    ),
    Schedule(
        name="sweep-jobs",
        task="core.tasks.sweep_jobs",
        every_seconds=2 * 60,
        expires_seconds=110,
        description="Re-enqueue bulk jobs left pending by a lost broker or stalled mid-run.",
    ),
    Schedule(
        name="reconcile-topups",
        task="quotas.tasks.reconcile_topups",
        every_seconds=2 * 60,
        expires_seconds=110,
        description="Settle top-ups whose outcome at 1NCE was lost (against 1NCE's orders).",
    ),
    Schedule(
        name="reconcile-sms",
        task="sms.tasks.reconcile_sms",
        every_seconds=2 * 60,
        expires_seconds=110,
        description="Settle sent SMS whose outcome at 1NCE was lost (against 1NCE's list).",
    ),
    Schedule(
        name="poll-pmnl-requests",
        task="provisioning.tasks.poll_pending_requests",
        every_seconds=60,
        expires_seconds=55,
        description="Advance queued PMNL provisioning requests until they complete or fail.",
    ),
    Schedule(
        name="follow-payments",
        task="payments.tasks.follow_payments",
        every_seconds=60,
        expires_seconds=55,
        description="Settle submitted Stellar payments and attestations from the ledger.",
    ),
    Schedule(
        name="refresh-dashboard",
        task="core.tasks.refresh_dashboard",
        every_seconds=60,
        expires_seconds=55,
        description="Recompute the console dashboard's fleet-wide figures for each "
        "organization with console users (and all organizations, for superusers).",
    ),
    Schedule(
        name="dispatch-events",
        task="core.tasks.dispatch_events",
        every_seconds=60,
        expires_seconds=55,
        description="Hand domain events whose dispatch was not enqueued to alerts and webhooks.",
    ),
    Schedule(
        name="sweep-webhook-deliveries",
        task="alerts.tasks.sweep_deliveries",
        every_seconds=60,
        expires_seconds=55,
        description="Send webhook deliveries that are due for a retry or lost their worker.",
    ),
    Schedule(
        name="open-due-alerts",
        task="alerts.tasks.open_due_alerts",
        every_seconds=60,
        expires_seconds=55,
        description="Open and notify alerts whose condition has lasted the rule's wait.",
    ),
    Schedule(
        name="cleanup",
        task="core.tasks.cleanup",
        crontab="0 2 * * *",
        expires_seconds=23 * 3600,
        description="Prune finished jobs and other expired records.",
    ),
    Schedule(
        name="prune-tokens",
        task="accounts.tasks.prune_tokens",
        crontab="10 2 * * *",
        expires_seconds=23 * 3600,
        description="Delete refresh tokens expired or revoked over 30 days ago.",
    ),
    Schedule(
        name="sla-watch",
        task="outages.tasks.watch_sla",
        every_seconds=60,
        expires_seconds=55,
        description="Flag outages about to breach (80 % of threshold) and breached; evaluate "
        "resolved ones left without an SLA result.",
    ),
    Schedule(
        name="monthly-sla-reports",
        task="outages.tasks.generate_monthly_sla_reports",
        crontab="30 0 1 * *",
        expires_seconds=23 * 3600,
        description="Generate and keep every organization's SLA report of the previous month.",
    ),
    Schedule(
        name="settle-site-outages",
        task="sites.tasks.settle_site_outages",
        every_seconds=60,
        expires_seconds=55,
        description="Resolve (or propose resolving) site outages whose SIMs stayed back for "
        "the settle time.",
    ),
    Schedule(
        name="reconcile-site-presence",
        task="sites.tasks.reconcile_site_presence",
        every_seconds=15 * 60,
        expires_seconds=14 * 60,
        description="Apply connectivity refresh readings the Data Streamer did not report to "
        "site SIMs (the fallback).",
    ),
]

if settings.SIMULATORS_ENABLED:
    PERIODIC_TASKS.append(
        Schedule(
            name="simulate-data-streamer",
            task="simulators.tasks.deliver_data_streams",
            every_seconds=30,
            expires_seconds=25,
            description="The simulated 1NCE Data Streamer posts its new SIM events (simulators "
            "only).",
        )
    )
