"""Commands end with one line naming the upstream URL when 1NCE cannot be reached or refuses
them, never a traceback; and a second shell's commands find the instance ``make run`` serves
(its URL recorded in ``FLEETOPS_RUN_FILE``)."""

import os
import socket
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from core.tests.settings_probe import ROOT, printed

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    """A loopback port nothing listens on (taken from the OS, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_1nce_is_one_line_naming_the_url(organization):
    """``manage.py sync_sims`` in its own process, as a second shell runs it: the error is the
    last line of stderr, names the URL it tried, and no traceback is printed."""
    url = f"http://127.0.0.1:{closed_port()}/sim/1nce/management-api"
    database = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "ONENCE_BASE_URL": url,
        "ONENCE_DEFAULT_ORGANIZATION": organization.slug,
        "UPSTREAM_MAX_RETRIES": "0",
        "SIM_SYNC_RETRY_BACKOFF_SECONDS": "0",
        "LOG_LEVEL": "ERROR",
    }
    result = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [sys.executable, "manage.py", "sync_sims", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"CommandError: {organization.slug}: 1NCE is unavailable, gave up")
    assert f"could not connect (at {url})" in last


@pytest.fixture
def wrong_credentials(onence_simulator, settings, other_organization):
    """``other_organization``'s own 1NCE account, whose client id 1NCE (the simulator) does
    not know: its token requests are refused."""
    from sims.models import OnenceAccount

    settings.UPSTREAM_MAX_RETRIES = 0
    account = OnenceAccount.objects.create(
        organization=other_organization,
        base_url=settings.ONENCE_BASE_URL,
        client_id="no-such-client",
        client_secret="not-the-secret",
    )
    return account.base_url


def test_refused_credentials_are_a_command_error_naming_the_url(
    wrong_credentials, other_organization
):
    # Not an outage the sync retries: before, this escaped as a traceback.
    with pytest.raises(CommandError) as error:
        call_command("sync_sims", "--organization", other_organization.slug, verbosity=0)

    assert "1NCE rejected the API credentials" in str(error.value)
    assert str(error.value).endswith(f"(at {wrong_credentials})")


class TestRecordedUrl:
    CODE = "from django.conf import settings as s; print(s.SITE_URL, s.ONENCE_BASE_URL)"
    DROP = ("SITE_URL", "PORT", "ONENCE_BASE_URL", "FLEETOPS_ENV", "FLEETOPS_RUN_FILE")

    @pytest.fixture
    def run_file(self, tmp_path):
        path = tmp_path / "run.env"
        path.write_text("SITE_URL=http://127.0.0.1:8200\nPORT=8200\n")
        return str(path)

    def test_commands_in_a_second_shell_reach_the_recorded_instance(self, run_file):
        line = printed(
            self.CODE, drop=self.DROP, FLEETOPS_ENV="development", FLEETOPS_RUN_FILE=run_file
        )
        assert line == "http://127.0.0.1:8200 http://127.0.0.1:8200/sim/1nce/management-api"

    def test_an_explicit_port_or_url_wins(self, run_file):
        env = {"FLEETOPS_ENV": "development", "FLEETOPS_RUN_FILE": run_file}
        assert printed(self.CODE, drop=self.DROP, PORT="9000", **env).startswith(
            "http://127.0.0.1:9000 "
        )
        assert printed(self.CODE, drop=self.DROP, SITE_URL="http://h:1", **env).startswith(
            "http://h:1 "
        )

    def test_without_a_running_instance_the_default_port_is_used(self, tmp_path):
        line = printed(
            self.CODE,
            drop=self.DROP,
            FLEETOPS_ENV="development",
            FLEETOPS_RUN_FILE=str(tmp_path / "none.env"),
        )
        assert line.startswith("http://127.0.0.1:8000 ")

    def test_tests_never_read_it(self, run_file):
        line = printed(self.CODE, drop=self.DROP, FLEETOPS_ENV="test", FLEETOPS_RUN_FILE=run_file)
        assert line.startswith("http://127.0.0.1:8000 ")
