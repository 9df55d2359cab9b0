"""What the correlation and its settling share: the system context they act in and the lock
that serialises them within an organization."""

from django.db import connection

from core.context import Context


def correlation_context() -> Context:
    return Context.system(via="correlation")


def organization_lock(organization_id: int) -> None:
    """Serialise correlation within one organization until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [1818, organization_id])
