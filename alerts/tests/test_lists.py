"""The alerts area's lists as every list is checked (``core.tests.api``): the caller's
organization's rows only, at a query count pinned exactly, the same for one row and several."""

import pytest
from django.urls import reverse

from alerts.models import AlertRule
from alerts.tests.factories import (
    AlertFactory,
    AlertRuleFactory,
    WebhookDeliveryFactory,
    WebhookFactory,
)
from core.tests.api import ListObjectsCases, NestedListObjectsCases

pytestmark = pytest.mark.django_db


class TestAlertList(ListObjectsCases):
    url_name = "alerts-api:alert"
    list_queries = 2  # the count, the page (with its rule)

    def make_object(self, organization):
        return AlertFactory(organization=organization)


class TestAlertRuleList(ListObjectsCases):
    url_name = "alerts-api:alert-rule"
    list_queries = 2  # the count, the page

    def make_objects(self, organization, count):
        # Every organization starts with the default rules: the rows measured are these alone.
        AlertRule.objects.filter(organization=organization).delete()
        return [AlertRuleFactory(organization=organization) for _ in range(count)]


class TestWebhookList(ListObjectsCases):
    url_name = "alerts-api:webhook"
    list_queries = 2  # the count, the page

    def make_object(self, organization):
        return WebhookFactory(organization=organization)


class TestWebhookDeliveryList(NestedListObjectsCases):
    list_queries = 3  # the webhook, the count, the page (with its events)
    list_id_field = "delivery_id"

    def make_objects(self, organization, count):
        webhook = WebhookFactory(organization=organization)
        return [WebhookDeliveryFactory(webhook=webhook) for _ in range(count)]

    def list_url(self, objects=()):
        return reverse("alerts-api:webhook-deliveries", kwargs={"pk": objects[0].webhook_id})

    def ids_of(self, objects):
        return {delivery.delivery_id for delivery in objects}
