from django.shortcuts import get_object_or_404

from core.identifiers import normalize_iccid
from core.viewsets import scope_to_organization
from sims.models import Sim


class SimLookupMixin:
    """For views under ``/sims/{iccid}/...``: ``self.get_sim()`` validates the ICCID (400
    ``INVALID_ICCID``) and finds the SIM in the caller's organization (404 otherwise)."""

    sim_url_kwarg = "iccid"

    def get_sim(self) -> Sim:
        if not hasattr(self, "_sim"):
            iccid = normalize_iccid(self.kwargs[self.sim_url_kwarg])
            sims = scope_to_organization(
                Sim.objects.select_related("organization"), self.request.user
            )
            self._sim = get_object_or_404(sims, iccid=iccid)
        return self._sim
