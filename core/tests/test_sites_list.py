"""``GET /api/v1/sites`` as every list is checked (``core.tests.api``): the caller's
organization's sites only, at a pinned query count. Lives here, beside the generic cases, so
the sites list is pinned like the others (and its tenancy case is in the mutation test)."""

import pytest

from core.tests.api import GetObjectCases, ListObjectsCases
from sims.tests.factories import SimFactory
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


class TestSiteList(GetObjectCases, ListObjectsCases):
    url_name = "sites-api:site"
    lookup_field = "code"
    lookup_url_kwarg = "code"
    list_id_field = "id"
    list_queries = 2  # the count, the page (its SIM counts annotated)

    def make_object(self, organization):
        site = SiteFactory(organization=organization)
        SimFactory(organization=organization, site=site)
        return site

    def ids_of(self, objects):
        return {site.code for site in objects}
