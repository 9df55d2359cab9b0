from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # Connects the Celery signal handlers that record periodic task runs.
        from core import dashboard, panels, pgloaders, scheduler, sqlshapes  # noqa: F401

        dashboard.autodiscover()
        pgloaders.connect()
        if settings.SQL_SHAPE_CACHE:
            sqlshapes.install()


class ConsoleAdminConfig(admin_apps.AdminConfig):
    """Django's admin with FleetOps's site (``core.console.FleetOpsAdminSite``) as the default,
    so every app's ``@admin.register`` lands on the console."""

    default = False
    default_site = "core.console.FleetOpsAdminSite"
