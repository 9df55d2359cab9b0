from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"

    def ready(self):
        from sites import schema  # noqa: F401  (OpenAPI extension)
