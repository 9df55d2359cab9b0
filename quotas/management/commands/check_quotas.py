"""Evaluate quota thresholds and auto top-up rules now (the periodic task's service)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from quotas.services import check_quotas


class Command(BaseCommand):
    help = "Evaluate quota thresholds and run auto top-up rules (every organization, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Slug of one organization.")

    def handle(self, *args, **options):
        organization = None
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organization {options['organization']!r}.")
        stats = check_quotas(organization=organization)
        self.stdout.write(
            f"{stats['checked']} quotas checked, {stats['crossed']} crossed their threshold, "
            f"{stats['topped_up']} topped up automatically, {stats['errors']} errors"
        )
