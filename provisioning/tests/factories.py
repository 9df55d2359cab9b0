import factory

from accounts.tests.factories import OrganizationFactory, UserFactory
from provisioning.models import CustomerAuthorization, ProvisioningRequest, Subscriber


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    organization = factory.SubFactory(OrganizationFactory)
    iccid = factory.Sequence(lambda n: f"8931240000{n:010d}")
    msisdn = factory.Sequence(lambda n: f"3165{n:07d}")
    imsi = factory.Sequence(lambda n: f"20412{n:010d}")
    cust_id = "9123456"
    admin_info = "Factory subscriber"
    service_profile = 7


class ProvisioningRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProvisioningRequest

    organization = factory.SubFactory(OrganizationFactory)
    operation = "CREATE"
    iccid = factory.Sequence(lambda n: f"8931240000{n:010d}")
    status = "completed"
    progress = "100%"


class CustomerAuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerAuthorization

    user = factory.SubFactory(UserFactory)
    organization = factory.LazyAttribute(lambda o: o.user.organization)
    cust_id = "9123456"
