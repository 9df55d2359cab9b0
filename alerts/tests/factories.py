import factory
from django.utils import timezone

from accounts.tests.factories import OrganizationFactory
from alerts.models import Alert, AlertRule, Webhook, WebhookDelivery
from core.models import DomainEvent


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    event_types = factory.LazyFunction(lambda: ["*"])
    secret = factory.Sequence(lambda n: f"whsec_test{n:06d}")


class AlertRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertRule

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Rule {n:03d}")
    event_types = factory.LazyFunction(lambda: ["quota.depleted"])
    channels = factory.LazyFunction(lambda: [{"type": "email", "to": "admins"}])


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    organization = factory.SubFactory(OrganizationFactory)
    rule = factory.SubFactory(
        AlertRuleFactory, organization=factory.SelfAttribute("..organization")
    )
    subject = factory.Sequence(lambda n: f"sim:{n}")
    event_type = "quota.depleted"
    title = factory.LazyAttribute(lambda alert: f"Quota depleted on {alert.subject}")
    first_event_at = factory.LazyFunction(timezone.now)
    last_event_at = factory.SelfAttribute("first_event_at")


class DomainEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DomainEvent

    name = "quota.depleted"
    organization = factory.SubFactory(OrganizationFactory)
    subject = factory.Sequence(lambda n: f"sim:{n}")
    occurred_at = factory.LazyFunction(timezone.now)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    webhook = factory.SubFactory(WebhookFactory)
    organization = factory.SelfAttribute("webhook.organization")
    event = factory.SubFactory(
        DomainEventFactory, organization=factory.SelfAttribute("..webhook.organization")
    )
