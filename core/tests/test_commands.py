"""Every option of every FleetOps command is documented and every command that takes
``--organization`` refuses an unknown one with the same words."""

import argparse
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, get_commands, load_command_class

ROOT = Path(settings.BASE_DIR)


def our_commands() -> dict[str, str]:
    """``{command: app}`` for the commands that live in this repository (not Django's or a
    library's)."""
    return {
        name: app for name, app in get_commands().items() if (ROOT / app.replace(".", "/")).is_dir()
    }


def parser_actions(parser: argparse.ArgumentParser, path: str):
    """``(command path, action)`` for every argument, sub-commands' included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield path, action
            for name, subparser in action.choices.items():
                yield from parser_actions(subparser, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_our_commands_are_found():
    assert {"sync_sims", "sync_usage", "sync_sms", "issue_api_key", "simulate_1nce"} <= set(
        our_commands()
    )


@pytest.mark.parametrize("command", sorted(our_commands()))
def test_every_option_has_help(command):
    parser = load_command_class(our_commands()[command], command).create_parser(
        "manage.py", command
    )
    assert parser.description, f"{command} has no help"
    undocumented = [
        f"{path} {'/'.join(action.option_strings) or action.dest}"
        for path, action in parser_actions(parser, command)
        if not (action.help or "").strip() or action.help == argparse.SUPPRESS
    ]
    assert undocumented == []


def organization_commands() -> list[str]:
    return sorted(
        name
        for name, app in our_commands().items()
        if "--organization"
        in load_command_class(app, name).create_parser("manage.py", name)._option_string_actions
    )


def test_organization_commands_are_found():
    assert {"sync_sims", "sync_usage", "sync_sms", "check_quotas"} <= set(organization_commands())


@pytest.mark.django_db
@pytest.mark.parametrize("command", organization_commands())
def test_unknown_organization_is_one_error(command):
    with pytest.raises(CommandError) as error:
        call_command(command, "--organization", "no-such-org", verbosity=0)

    assert str(error.value) == "No organization with slug 'no-such-org'."
