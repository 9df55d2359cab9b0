import factory

from accounts.tests.factories import OrganizationFactory
from core.models import Job, JobItem


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    kind = "test.bulk"
    organization = factory.SubFactory(OrganizationFactory)
    total = 0


class JobItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobItem

    job = factory.SubFactory(JobFactory)
    key = factory.Sequence(lambda n: f"item-{n}")
    position = factory.Sequence(lambda n: n)
