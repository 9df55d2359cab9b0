"""The base of FleetOps' management commands: a failure an operator can act on ends the
command with one line (``CommandError``), never a traceback.

An upstream that cannot be reached or answers wrongly names the URL that was called (a second
shell that reaches the wrong port says which one); a domain refusal (``core.errors``: not
connected, not found, conflict) reads as the API's message. ``--traceback`` still shows the
cause.
"""

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from upstream.exceptions import UpstreamError


def upstream_failure(exc: UpstreamError) -> str:
    """``exc``'s message for an operator, with the upstream URL it concerns."""
    message = exc.public_message.rstrip(".")
    return f"{message} (at {exc.url})" if exc.url else message


class FleetCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except UpstreamError as exc:
            raise CommandError(upstream_failure(exc)) from exc
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
