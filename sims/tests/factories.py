import factory

from accounts.tests.factories import OrganizationFactory
from core.identifiers import iccid_with_luhn
from sims.models import Sim, SimStatus


class SimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sim

    organization = factory.SubFactory(OrganizationFactory)
    iccid = factory.Sequence(lambda n: f"89882280000{n:08d}")
    iccid_with_luhn = factory.LazyAttribute(lambda sim: iccid_with_luhn(sim.iccid))
    imsi = factory.Sequence(lambda n: f"90140{n:010d}")
    msisdn = factory.Sequence(lambda n: f"88236{n:010d}")
    imei = factory.Sequence(lambda n: f"35{n:013d}")
    status = SimStatus.ENABLED
    label = factory.Sequence(lambda n: f"Device {n}")
    ip_address = factory.Sequence(lambda n: f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
