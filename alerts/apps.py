from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts & webhooks"

    def ready(self):
        from django.conf import settings
        from django.db.models.signals import post_save

        from accounts.models import Organization
        from alerts import services
        from core.events import for_each, register_consumer
        from core.services import register_cleanup

        # Alerts first: a rule's webhook channel and a webhook subscription are independent.
        register_consumer("alerts.rules", for_each(services.evaluate))
        register_consumer("alerts.webhooks", services.fan_out)
        register_cleanup(
            "webhook_deliveries_deleted",
            lambda: services.prune_deliveries(older_than_days=settings.WEBHOOK_RETENTION_DAYS),
        )
        post_save.connect(
            _default_rules_for_new_organization,
            sender=Organization,
            dispatch_uid="alerts.default_rules",
        )


def _default_rules_for_new_organization(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from alerts.services import ensure_default_rules

        ensure_default_rules(instance)
