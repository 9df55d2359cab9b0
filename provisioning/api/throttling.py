"""Seed 003 section 6, per user and minute, on top of the API-wide limit
(``core.throttling``): subscriber operations 100, request status polling 30."""

from django.conf import settings

from core.throttling import FleetRateThrottle, Window


class ScopedUserThrottle(FleetRateThrottle):
    """One more window per authenticated user, counted apart from the API-wide ones."""

    scope = ""
    setting = ""

    def identify(self, request):
        if request.user is None or not request.user.is_authenticated:
            return []  # anonymous callers are limited (and refused) by FleetRateThrottle
        window = Window(getattr(settings, self.setting), 60)
        return [(f"{self.scope}:user:{request.user.pk}", window)]

    def allow_request(self, request, view) -> bool:
        if not self.identify(request):
            return True
        return super().allow_request(request, view)


class SubscriberOperationsThrottle(ScopedUserThrottle):
    scope = "pmnl-subscribers"
    setting = "PMNL_SUBSCRIBER_RATE_PER_MINUTE"


class RequestPollingThrottle(ScopedUserThrottle):
    scope = "pmnl-requests"
    setting = "PMNL_REQUEST_POLL_RATE_PER_MINUTE"
