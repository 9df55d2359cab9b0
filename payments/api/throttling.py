"""Seed 004's limit on payment operations: 10 a minute per user (``PAYMENT_RATE_LIMIT_PER_MINUTE``),
on top of the API-wide limits, counted in Redis like them."""

from django.conf import settings

from core.throttling import FleetRateThrottle, Window


class PaymentRateThrottle(FleetRateThrottle):
    def identify(self, request):
        if request.user is None or not request.user.is_authenticated:
            return []
        return [
            (f"payments:user:{request.user.pk}", Window(settings.PAYMENT_RATE_LIMIT_PER_MINUTE, 60))
        ]

    def allow_request(self, request, view) -> bool:
        if not self.identify(request):
            return True
        return super().allow_request(request, view)


PAYMENT_THROTTLES = [FleetRateThrottle, PaymentRateThrottle]
