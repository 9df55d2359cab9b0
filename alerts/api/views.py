from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts import services
from alerts.api.serializers import (
    AlertDetailSerializer,
    AlertRuleSerializer,
    AlertSerializer,
    ResolveSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)
from alerts.filters import AlertFilterSet
from alerts.models import Alert, AlertRule, Webhook
from alerts.selectors import deliveries_of
from core.context import Context
from core.schema import answers_errors
from core.viewsets import FleetReadOnlyViewSet, FleetViewSet


class WebhookViewSet(FleetViewSet):
    """Webhook subscriptions: FleetOps posts each subscribed event, signed, to the URL.

    Verify a delivery with the secret shown once at creation: the ``X-FleetOps-Signature``
    header is ``v1=`` + hex HMAC-SHA256 of ``"{X-FleetOps-Timestamp}.{raw body}"``; drop
    repeats by ``X-FleetOps-Delivery``.
    """

    queryset = Webhook.objects.order_by("-created_at", "-id")
    serializer_class = WebhookSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    sort_fields = {"created_at": "created_at", "url": "url"}
    default_sort = ("created_at", "desc")

    @answers_errors(422)
    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        """Subscribe a URL to event types; the answer holds the signing secret, once."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        webhook, secret = services.create_webhook(
            organization=self.target_organization(),
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
            context=Context.from_request(request),
        )
        body = WebhookCreatedSerializer(webhook).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    def perform_update(self, serializer):
        services.update_webhook(
            webhook=serializer.instance,
            changes=dict(serializer.validated_data),
            context=Context.from_request(self.request),
        )

    def perform_destroy(self, instance):
        services.delete_webhook(webhook=instance, context=Context.from_request(self.request))

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a ``webhook.test`` event to this webhook only.

        Checks the receiving end and its signature check without waiting for a real event; the
        delivery shows in the log like any other.
        """
        delivery = services.send_test_event(
            webhook=self.get_object(), context=Context.from_request(request)
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The webhook's delivery log, newest first.

        Each attempt to post an event to this webhook: the event, the answer's status and
        duration, and whether it will be tried again.
        """
        page = self.paginate_queryset(deliveries_of(self.get_object()))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @answers_errors(409)  # the delivery is being sent right now
    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>dlv_[0-9a-f]{32})/redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        """Send one delivery again, with the same delivery id.

        The receiver can tell a redelivery from a new event by that id; the attempt is
        queued and answered 202.
        """
        delivery = get_object_or_404(deliveries_of(self.get_object()), delivery_id=delivery_id)
        delivery = services.redeliver(delivery=delivery, context=Context.from_request(request))
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class AlertRuleViewSet(FleetViewSet):
    """Alert rules: the events that open alerts, their conditions, channels and windows."""

    queryset = AlertRule.objects.order_by("name", "id")
    serializer_class = AlertRuleSerializer
    sort_fields = {"name": "name", "created_at": "created_at"}
    default_sort = ("name", "asc")

    @answers_errors(409, 422)
    def create(self, request, *args, **kwargs):
        """Create a rule.

        Names are unique in an organization: a second rule of the same name is a 409.
        """
        return super().create(request, *args, **kwargs)

    @answers_errors(409)
    def update(self, request, *args, **kwargs):
        """Replace a rule.

        Every field is sent; a name another rule of the organization has is a 409.
        """
        return super().update(request, *args, **kwargs)

    @answers_errors(409)
    def partial_update(self, request, *args, **kwargs):
        """Change some of a rule's fields.

        Fields not sent keep their values; renaming it to another rule's name is a 409.
        """
        return super().partial_update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.create_rule(
            organization=self.target_organization(),
            values=dict(serializer.validated_data),
            context=Context.from_request(self.request),
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_rule(
            rule=serializer.instance,
            values=dict(serializer.validated_data),
            context=Context.from_request(self.request),
        )

    def perform_destroy(self, instance):
        services.delete_rule(rule=instance, context=Context.from_request(self.request))


class AlertViewSet(FleetReadOnlyViewSet):
    """Alerts: events of one rule and one subject grouped, open until resolved."""

    queryset = Alert.objects.select_related("rule").order_by("-last_event_at", "-id")
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    lookup_value_regex = r"\d+"
    sort_fields = {"last_event_at": "last_event_at", "first_event_at": "first_event_at"}
    default_sort = ("last_event_at", "desc")

    def get_serializer_class(self):
        return AlertDetailSerializer if self.action == "retrieve" else AlertSerializer

    @answers_errors(409)  # already acknowledged or resolved
    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge an open alert (someone is on it).

        The alert stays open; the acknowledgement records who took it and when.
        """
        alert = services.acknowledge(alert=self.get_object(), context=Context.from_request(request))
        return Response(AlertSerializer(alert).data)

    @answers_errors(409)  # already resolved
    @extend_schema(request=ResolveSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve an alert by hand, with an optional note.

        The alert closes and its note is kept; a new event of its rule and subject opens another.
        """
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alert = services.resolve(
            alert=self.get_object(),
            context=Context.from_request(request),
            resolution=serializer.validated_data.get("resolution", ""),
        )
        return Response(AlertSerializer(alert).data)
