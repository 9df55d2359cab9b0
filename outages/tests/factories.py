from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import OrganizationFactory
from outages.models import Outage, OutageStatus, Severity


class OutageFactory(factory.django.DjangoModelFactory):
    """An active outage detected five minutes ago. Its number is unique across the test run
    (real outages take theirs from ``services.create_outage``)."""

    class Meta:
        model = Outage

    organization = factory.SubFactory(OrganizationFactory)
    number = factory.Sequence(lambda n: n + 1)
    site_name = factory.Sequence(lambda n: f"Cell Tower {n}")
    site_id = factory.Sequence(lambda n: f"SITE{n:03d}")
    severity = Severity.CRITICAL
    status = OutageStatus.ACTIVE
    detected_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    description = "Total signal loss"
    affected_services = factory.LazyFunction(lambda: ["4G", "5G"])
