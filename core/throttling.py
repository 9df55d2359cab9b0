"""The API's rate limits: DRF throttles over the windows of ``core.ratelimits`` (counted in
Redis, so they hold across processes and machines).

Fixed windows that start at a caller's first request: per user 100 a minute and 1000 an
hour, and the same again per API key (so one of a user's keys cannot use up more than its
share, and a user with ten keys still gets one user's limit); per address 20 a minute for
anonymous callers, and per address 5 a minute on login (all settings). Addresses come from
``core.net.client_address``, so a forged ``X-Forwarded-For`` cannot pick a fresh window.
The state of the tightest window goes into the ``X-RateLimit-*`` headers of every API
response (``RateLimitHeadersMiddleware``). While Redis is unreachable each process counts on
its own (``LocalWindows``): the limit loosens, requests keep being answered.
"""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.net import client_address
from core.ratelimits import Window, WindowState, authenticated_windows, hit, local_windows

__all__ = ["Window", "WindowState", "local_windows"]  # the throttles' vocabulary, from ratelimits


class FleetRateThrottle(BaseThrottle):
    """The API-wide limit: per user and per API key, else per client address."""

    def get_ident(self, request) -> str:
        return client_address(request) or "unknown"

    def identify(self, request) -> list[tuple[str, Window]]:
        """The ``(ident, window)`` pairs one request counts against."""
        if request.user is not None and request.user.is_authenticated:
            return authenticated_windows(
                request.user.pk, getattr(request.auth, "rate_limit_key", None)
            )
        return [(f"ip:{self.get_ident(request)}", Window(settings.RATE_LIMIT_ANON_PER_MINUTE, 60))]

    def counted_by_authentication(self, request) -> list[WindowState] | None:
        """The states of this request's windows when its authentication counted them already,
        in the round trip that read its API key (``accounts.services``; ``rate_limit_states``,
        the :func:`authenticated_windows` of the key's owner and key), taken once. Only for
        this class's own windows: a subclass that counts others counts them itself."""
        if type(self).identify is not FleetRateThrottle.identify:
            return None
        states = getattr(request.auth, "rate_limit_states", None)
        if states is not None:
            request.auth.rate_limit_states = None
        return states

    def allow_request(self, request, view) -> bool:
        if not settings.RATE_LIMIT_ENABLED:
            return True
        states = self.counted_by_authentication(request) or hit(self.identify(request))
        # Report the window closest to its limit; an exceeded one wins.
        tightest = min(states, key=lambda s: (not s.exceeded, s.remaining))
        current = getattr(request._request, "rate_limit", None)
        if current is None or (tightest.exceeded, -tightest.remaining) > (
            current.exceeded,
            -current.remaining,
        ):
            request._request.rate_limit = tightest
        self.wait_seconds = max((s.resets_in for s in states if s.exceeded), default=0)
        return not any(s.exceeded for s in states)

    def wait(self):
        return self.wait_seconds


class LoginRateThrottle(FleetRateThrottle):
    """Login attempts per client address (on top of the anonymous limit)."""

    def identify(self, request):
        window = Window(settings.RATE_LIMIT_LOGIN_PER_MINUTE, 60)
        return [(f"login:{self.get_ident(request)}", window)]


class RateLimitHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            response["X-RateLimit-Limit"] = str(state.limit)
            response["X-RateLimit-Remaining"] = str(state.remaining)
            response["X-RateLimit-Reset"] = str(int(time.time()) + state.resets_in)
        return response
