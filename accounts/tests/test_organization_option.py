"""Every command that takes ``--organization SLUG`` looks it up once, with one error."""

import pytest
from django.core.management import CommandError, call_command

COMMANDS = [
    "check_quotas",
    "reconcile_topups",
    "reconcile_sms",
    "sync_sms",
    "sync_sims",
    "sync_usage",
]


@pytest.mark.django_db
@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_organization_is_one_error(command):
    with pytest.raises(CommandError) as error:
        call_command(command, "--organization", "no-such-org", verbosity=0)

    assert str(error.value) == "No organization with slug 'no-such-org'."
