"""SIM reads shared by services, tasks and other apps."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organization
from core.identifiers import normalize_iccid
from core.viewsets import scope_to_organization
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


def sim_for_user(iccid: str, *, user) -> Sim:
    """The SIM ``iccid`` names, if ``user``'s organization may see it.

    Validates the ICCID first (400 ``INVALID_ICCID``), then looks only inside the user's
    organization (all of them for a superuser), so a foreign SIM answers 404, never 403.
    For views nested under ``/sims/{iccid}/`` in other apps (``core.viewsets.ParentLookupMixin``).
    """
    sims = scope_to_organization(Sim.objects.select_related("organization"), user)
    return get_object_or_404(sims, iccid=normalize_iccid(iccid))
