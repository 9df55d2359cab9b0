from django.apps import AppConfig


class SimsConfig(AppConfig):
    name = "sims"
    verbose_name = "SIMs"

    def ready(self):
        from core.services import register_cleanup
        from sims.services.connectivity import prune_connectivity_snapshots

        register_cleanup("connectivity_snapshots_deleted", prune_connectivity_snapshots)
