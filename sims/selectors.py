"""SIM reads shared by services, tasks and other apps."""

from django.db.models import QuerySet

from accounts.models import Organization
from sims.models import Sim
from sims.services.clients import ONENCE_ACCOUNTS


def connected_organizations() -> QuerySet[Organization]:
    """Active organizations with a 1NCE account connected (their own, or the default one they
    own): the only ones whose SIMs are synced and read from 1NCE."""
    return Organization.objects.filter(is_active=True).filter(ONENCE_ACCOUNTS.connected())


def connected_sims(sims: QuerySet[Sim] | None = None) -> QuerySet[Sim]:
    """``sims`` (all SIMs by default) of organizations with a 1NCE account connected."""
    sims = Sim.objects.all() if sims is None else sims
    return sims.filter(organization__is_active=True).filter(
        ONENCE_ACCOUNTS.connected(field="organization")
    )
