"""Site writes and rules: sites and SIM placement, the Data Streamer ingest, correlation."""

from sites.services.correlation import Observation, correlate
from sites.services.resolution import accept_proposed_resolution, settle
from sites.services.sites import (
    apply_tag_rule,
    assign_sims,
    create_site,
    delete_site,
    policy_for,
    update_policy,
    update_site,
)
from sites.services.streams import authenticate_stream, create_stream, ingest

__all__ = [
    "Observation",
    "accept_proposed_resolution",
    "apply_tag_rule",
    "assign_sims",
    "authenticate_stream",
    "correlate",
    "create_site",
    "create_stream",
    "delete_site",
    "ingest",
    "policy_for",
    "settle",
    "update_policy",
    "update_site",
]
