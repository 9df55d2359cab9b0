"""Which 1NCE account an organization may use: ``core.upstream_accounts``' rule, declared for
1NCE once here as ``ONENCE_ACCOUNTS``: its own active ``OnenceAccount``, or the default account
from settings when it is the organization named by ``ONENCE_DEFAULT_ORGANIZATION``.

It imports no service, so selectors can use it without importing the services package.
"""

from accounts.models import Organization
from core.upstream_accounts import UpstreamAccounts
from sims.models import OnenceAccount
from upstream.onence import OnenceCredentials


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
