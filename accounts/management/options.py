"""``--organization SLUG``, the option every command that works on one organization (or all)
takes: declared and looked up once, with one error."""

from django.core.management.base import CommandError

from accounts.models import Organization


def add_organization_argument(parser, help: str = "Only this organization.") -> None:
    """Add ``--organization SLUG`` to a command's parser."""
    parser.add_argument("--organization", metavar="SLUG", help=help)


def organization_option(slug: str | None) -> Organization | None:
    """The organization ``--organization`` names, or None when it was not given; a
    ``CommandError`` for an unknown slug."""
    if not slug:
        return None
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"No organization with slug {slug!r}.")
    return organization
