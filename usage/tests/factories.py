import factory
from django.utils import timezone

from sims.tests.factories import SimFactory
from usage.models import UsageRecord


class UsageRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageRecord

    sim = factory.SubFactory(SimFactory)
    organization = factory.SelfAttribute("sim.organization")
    date = factory.LazyFunction(lambda: timezone.now().date())
    data_rx_bytes = 1_048_576
    data_tx_bytes = 524_288
    sms_mo = 5
    sms_mt = 3
    synced_at = factory.LazyFunction(timezone.now)
