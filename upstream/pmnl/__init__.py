"""PMNL v5 (subscriber provisioning): OAuth2 client credentials plus ``x-api-key``."""

from upstream.pmnl.client import PmnlClient
from upstream.pmnl.models import PmnlCredentials, SubscriberRead, UserRequest

__all__ = ["PmnlClient", "PmnlCredentials", "SubscriberRead", "UserRequest"]
