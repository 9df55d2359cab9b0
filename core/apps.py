from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # Connects the Celery signal handlers that record periodic task runs.
        from core import dashboard, scheduler  # noqa: F401

        dashboard.autodiscover()
