import factory

from accounts.tests.factories import OrganizationFactory
from sites.models import Site


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"SITE{n:03d}")
    name = factory.Sequence(lambda n: f"Tower {n}")
    location = "Berlin"
