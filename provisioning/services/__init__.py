"""PMNL provisioning services: subscriber writes and reads, queued requests, customer
authorizations. Every operation follows one order: validate (422, nothing written), find the
organization's PMNL account (409 ``UPSTREAM_NOT_CONFIGURED``, nothing written), check that the
subscriber is the organization's (404) and the actor may provision its cust_id (403), call
PMNL, and only on success change the mirror; each past the first two is audited."""

from provisioning.services.authorizations import (
    authorized_cust_ids,
    check_customer,
    grant_customer,
    revoke_customer,
)
from provisioning.services.demo import seed_demo_subscribers
from provisioning.services.requests import pending_request_ids, poll_request
from provisioning.services.subscribers import (
    create_subscriber,
    delete_subscriber,
    read_subscriber,
    update_subscriber,
)

__all__ = [
    "authorized_cust_ids",
    "check_customer",
    "create_subscriber",
    "delete_subscriber",
    "grant_customer",
    "pending_request_ids",
    "poll_request",
    "read_subscriber",
    "revoke_customer",
    "seed_demo_subscribers",
    "update_subscriber",
]
