"""The 1NCE client for an organization. Every 1NCE call goes through ``onence_client_for``;
which account an organization may use is ``sims.accounts.ONENCE_ACCOUNTS``."""

import hashlib
import threading
from collections import OrderedDict

from accounts.models import Organization
from sims.accounts import ONENCE_ACCOUNTS
from upstream.onence import OnenceClient, OnenceCredentials

# One client (one pooled HTTP session) per account and process. Keyed by a digest of the
# credentials, so a changed secret gets a new client and the old one ages out.
_CLIENTS: "OrderedDict[str, OnenceClient]" = OrderedDict()
_CLIENTS_MAX = 64
_CLIENTS_LOCK = threading.Lock()


def _fingerprint(credentials: OnenceCredentials) -> str:
    material = "\n".join([credentials.base_url, credentials.client_id, credentials.client_secret])
    return hashlib.sha256(material.encode()).hexdigest()


def onence_credentials_for(*, organization: Organization | None) -> OnenceCredentials:
    """The 1NCE account connected to the organization; ``UpstreamNotConnected`` when none is."""
    return ONENCE_ACCOUNTS.credentials_for(organization=organization)


def onence_client_for(*, organization: Organization | None) -> OnenceClient:
    """A 1NCE client for the organization's account (see ``onence_credentials_for``)."""
    credentials = onence_credentials_for(organization=organization)
    key = _fingerprint(credentials)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = OnenceClient(credentials)
            while len(_CLIENTS) > _CLIENTS_MAX:
                _CLIENTS.popitem(last=False)[1].close()
        _CLIENTS.move_to_end(key)
        return client
