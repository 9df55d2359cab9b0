"""The PMNL client for an organization. Every PMNL call goes through ``pmnl_client_for``.

Which account an organization may use is ``core.upstream_accounts``' rule, declared for PMNL
once here as ``PMNL_ACCOUNTS``: its own active ``PmnlAccount``, or the default account from
settings when it is the organization named by ``PMNL_DEFAULT_ORGANIZATION``.
"""

import hashlib
import threading
from collections import OrderedDict

from core.upstream_accounts import UpstreamAccounts
from provisioning.models import PmnlAccount
from upstream.pmnl import PmnlClient, PmnlCredentials

_CLIENTS: "OrderedDict[str, PmnlClient]" = OrderedDict()
_CLIENTS_MAX = 64
_CLIENTS_LOCK = threading.Lock()


def _own_credentials(organization) -> PmnlCredentials | None:
    account = PmnlAccount.objects.filter(organization=organization, is_active=True).first()
    return account.credentials() if account is not None else None


def _default_credentials() -> PmnlCredentials | None:
    credentials = PmnlCredentials.from_settings()
    return credentials if credentials.complete else None


def _own_account_owners():
    return PmnlAccount.objects.filter(is_active=True).values_list("organization_id", flat=True)


PMNL_ACCOUNTS: UpstreamAccounts[PmnlCredentials] = UpstreamAccounts(
    name="PMNL",
    key="pmnl",
    own_credentials=_own_credentials,
    default_credentials=_default_credentials,
    default_owner_setting="PMNL_DEFAULT_ORGANIZATION",
    own_account_owners=_own_account_owners,
    connect_hint="An administrator connects one in the admin console under PMNL accounts.",
)


def _fingerprint(credentials: PmnlCredentials) -> str:
    material = "\n".join(
        [
            credentials.base_url,
            credentials.token_url,
            credentials.client_id,
            credentials.client_secret,
            credentials.api_key,
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def pmnl_client_for(*, organization) -> PmnlClient:
    """A PMNL client for the organization's account; ``UpstreamNotConnected`` when none."""
    credentials = PMNL_ACCOUNTS.credentials_for(organization=organization)
    key = _fingerprint(credentials)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = PmnlClient(credentials)
            while len(_CLIENTS) > _CLIENTS_MAX:
                _CLIENTS.popitem(last=False)[1].close()
        _CLIENTS.move_to_end(key)
        return client
