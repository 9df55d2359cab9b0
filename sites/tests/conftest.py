import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.context import Context
from sims.tests.factories import SimFactory
from sites import services
from sites.tests.factories import SiteFactory


@pytest.fixture
def system():
    return Context.system(via="test")


@pytest.fixture
def make_site(system):
    """``make_site(organization, sims=40)``: a site with that many new SIMs placed at it."""

    def make(organization, *, sims: int = 0, iccids: list[str] | None = None, **kwargs):
        site = SiteFactory(organization=organization, **kwargs)
        iccids = list(iccids or [])
        iccids += [SimFactory(organization=organization).iccid for _ in range(sims)]
        if iccids:
            services.assign_sims(
                site=site, iccids=iccids, organization=organization, context=system
            )
        site.refresh_from_db()
        return site

    return make


@pytest.fixture
def stream(organization, system):
    """Data Streamer credentials of ``organization``: (stream, password)."""
    return services.create_stream(organization=organization, context=system)


@pytest.fixture
def admin_context(organization):
    admin = UserFactory(organization=organization, role=Role.ADMIN, username="noc-admin")
    return Context(actor=admin, via="test")
