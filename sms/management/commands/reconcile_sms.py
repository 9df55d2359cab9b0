"""Settle sent SMS whose outcome was lost now (the periodic task's service)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from sms.services import reconcile_sms


class Command(BaseCommand):
    help = "Settle MT SMS whose send answer from 1NCE was lost (every organization, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Slug of one organization.")

    def handle(self, *args, **options):
        organization = None
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organization {options['organization']!r}.")
        stats = reconcile_sms(organization=organization)
        self.stdout.write(
            f"{stats['sims']} SIMs read, {stats['matched']} messages found at 1NCE, "
            f"{stats['open']} still pending, {stats['errors']} errors"
        )
