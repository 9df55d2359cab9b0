"""The 1NCE client for an organization. Every 1NCE call goes through ``onence_client_for``.

Which account an organization may use is ``core.upstream_accounts``' rule, declared for 1NCE
once here as ``ONENCE_ACCOUNTS``: its own active ``OnenceAccount``, or the default account from
settings when it is the organization named by ``ONENCE_DEFAULT_ORGANIZATION``.
"""

import hashlib
import threading
from collections import OrderedDict

from accounts.models import Organization
from core.upstream_accounts import UpstreamAccounts
from sims.models import OnenceAccount
from upstream.onence import OnenceClient, OnenceCredentials

# One client (one pooled HTTP session) per account and process. Keyed by a digest of the
# credentials, so a changed secret gets a new client and the old one ages out.
_CLIENTS: "OrderedDict[str, OnenceClient]" = OrderedDict()
_CLIENTS_MAX = 64
_CLIENTS_LOCK = threading.Lock()


def _own_credentials(organization: Organization) -> OnenceCredentials | None:
    account = OnenceAccount.objects.filter(organization=organization, is_active=True).first()
    return account.credentials() if account is not None else None


def _default_credentials() -> OnenceCredentials | None:
    credentials = OnenceCredentials.from_settings()
    if not (credentials.base_url and credentials.client_id and credentials.client_secret):
        return None
    return credentials


def _own_account_owners():
    return OnenceAccount.objects.filter(is_active=True).values_list("organization_id", flat=True)


ONENCE_ACCOUNTS: UpstreamAccounts[OnenceCredentials] = UpstreamAccounts(
    name="1NCE",
    key="1nce",
    own_credentials=_own_credentials,
    default_credentials=_default_credentials,
    default_owner_setting="ONENCE_DEFAULT_ORGANIZATION",
    own_account_owners=_own_account_owners,
    connect_hint="An administrator connects one in the admin console under 1NCE accounts.",
)


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
