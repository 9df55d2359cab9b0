"""Typed upstream failures, shared by every client; the API maps them to 502/503/504/404.

Messages given to callers (``public_message``) never carry credentials or raw bodies.
"""


class UpstreamError(Exception):
    """The upstream answered with an error (mapped to 502 ``UPSTREAM_ERROR``)."""

    def __init__(
        self,
        message: str,
        *,
        upstream: str = "upstream",
        status_code: int | None = None,
        upstream_message: str | None = None,
        url: str | None = None,
    ):
        super().__init__(message)
        self.upstream = upstream
        self.status_code = status_code
        self.upstream_message = upstream_message
        # The base URL called, for operators (commands, logs); never in API answers.
        self.url = url

    @property
    def public_message(self) -> str:
        return str(self)

    @property
    def public_details(self) -> dict:
        details = {"upstream": self.upstream}
        if self.status_code is not None:
            details["upstream_status"] = self.status_code
        if self.upstream_message:
            details["upstream_message"] = self.upstream_message[:500]
        return details


class UpstreamRejected(UpstreamError):
    """The upstream refused the request (4xx other than 404): 502 with its status and message."""


class UpstreamNotFound(UpstreamError):
    """The upstream does not know the resource: 404."""


class UpstreamUnavailable(UpstreamError):
    """The upstream cannot be reached or is failing (connection refused, 5xx, 429): 503."""


class UpstreamNotReached(UpstreamUnavailable):
    """The request never left: connection refused, DNS failure, connect timeout. Unlike other
    ``UpstreamUnavailable`` errors a write that raises this was certainly not applied."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer in time: 504."""


class UpstreamDeadlineExceeded(UpstreamTimeout):
    """The request's deadline ran out before this call could start: nothing was sent (a write
    is retried only after failures that applied nothing, so none of its attempts applied)."""


class UpstreamAuthError(UpstreamError):
    """Authentication with the upstream failed (bad credentials): 502."""


def certainly_not_applied(exc: UpstreamError) -> bool:
    """Whether a failed write can be taken as not applied: it never reached the upstream, or
    the upstream refused it before acting (a 4xx, 429 included). A timeout or a 5xx after
    sending is ambiguous: the write may have been applied."""
    if isinstance(exc, UpstreamNotReached | UpstreamDeadlineExceeded):
        return True
    if isinstance(exc, UpstreamTimeout):
        return False
    if isinstance(exc, UpstreamUnavailable):
        return exc.status_code == 429
    return True
