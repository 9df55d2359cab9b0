"""SIM business rules: everything that writes, for the API, the admin, tasks and commands."""

from sims.services.clients import onence_client_for, onence_credentials_for
from sims.services.configuration import configure_sims, update_sim
from sims.services.connectivity import (
    check_reset,
    live_connectivity,
    read_connectivity,
    refresh_fleet_connectivity,
    request_reset,
)
from sims.services.sync import sync_all, sync_one, sync_organization

__all__ = [
    "check_reset",
    "configure_sims",
    "live_connectivity",
    "onence_client_for",
    "onence_credentials_for",
    "read_connectivity",
    "refresh_fleet_connectivity",
    "request_reset",
    "sync_all",
    "sync_one",
    "sync_organization",
    "update_sim",
]
