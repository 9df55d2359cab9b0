"""``manage.py seed_demo``: the demo organization, admin and API key, idempotently; the key
kept across runs unless ``--new-key``; never in production unless forced."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import APIKey, Organization, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_var_dir(settings, tmp_path):
    """The demo key file goes to a directory of the test's own."""
    settings.VAR_DIR = tmp_path


def printed_key(out: str) -> str:
    return re.search(r"API key +(sk_live_\S+)", out).group(1)


def me(raw_key: str):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client.get("/api/v1/auth/me")


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def without_simulators(settings):
    settings.SIMULATORS_ENABLED = False


def test_refuses_in_production_and_creates_nothing(settings, without_simulators):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="refusing in production"):
        seed()

    assert not Organization.objects.filter(slug="demo").exists()
    assert not User.objects.filter(username="admin").exists()


def test_force_runs_in_production(settings, without_simulators):
    settings.PRODUCTION = True

    assert "Demo data ready." in seed("--force")
    assert User.objects.filter(username="admin", organization__slug="demo").exists()


def test_first_run_creates_the_organization_admin_and_a_key(without_simulators):
    out = seed()

    admin = User.objects.get(username="admin")
    assert admin.organization.slug == "demo"
    assert (admin.role, admin.is_staff, admin.is_superuser) == ("admin", True, True)
    assert admin.check_password("fleetops-demo")
    assert "Admin login   admin / fleetops-demo" in out
    key = APIKey.objects.get(user=admin, revoked=False)
    assert f"API key       sk_live_{key.prefix}." in out


def test_a_second_run_creates_nothing_twice_and_keeps_the_password(without_simulators):
    seed()
    admin = User.objects.get(username="admin")
    admin.set_password("changed-by-the-admin")
    admin.save()

    out = seed()

    assert Organization.objects.filter(slug="demo").count() == 1
    assert User.objects.filter(username="admin").count() == 1
    admin.refresh_from_db()
    assert admin.check_password("changed-by-the-admin")
    assert "password unchanged" in out and "fleetops-demo" not in out
    # The same demo key, printed again: what the last run printed still works.
    key = APIKey.objects.get(user=admin, name="demo")
    assert not key.revoked and f"sk_live_{key.prefix}." in out
    assert "kept from the last run" in out


def test_the_demo_key_survives_restarts(without_simulators):
    first = printed_key(seed())
    assert me(first).status_code == 200  # cached as a working key
    second = printed_key(seed())
    assert second == first
    assert me(second).status_code == 200
    assert APIKey.objects.filter(name="demo").count() == 1


def test_new_key_revokes_the_old_one_at_once(without_simulators):
    old = printed_key(seed())
    assert me(old).status_code == 200  # now in the key cache

    new = printed_key(seed("--new-key"))

    assert new != old
    assert me(old).status_code == 401  # not served from the cache any longer
    assert me(new).status_code == 200
    keys = APIKey.objects.filter(name="demo")
    assert keys.filter(revoked=True).get().revoked_at is not None
    assert keys.filter(revoked=False).count() == 1


def test_a_lost_key_file_gives_a_new_key_and_revokes_the_unprintable_one(
    without_simulators, tmp_path
):
    old = printed_key(seed())
    (tmp_path / "demo-api-key").unlink()
    new = printed_key(seed())
    assert new != old and me(old).status_code == 401


def test_with_simulators_it_seeds_1nce_once_and_queues_the_first_syncs(
    settings, celery_broker, django_capture_on_commit_callbacks
):
    # Imported here: the simulator app is a test-and-demo app, not a dependency of accounts.
    from simulators.onence.models import OnenceSim

    settings.SIMULATORS_ENABLED = True
    with django_capture_on_commit_callbacks(execute=True):
        out = seed()
    seeded = OnenceSim.objects.count()
    assert seeded == 200
    assert "simulator with 200 SIMs" in out
    # The seed's hundreds of domain events wait for one dispatch, not one per commit: nothing
    # queued after them (the first syncs, the demo's subscribers and payment) waits behind them.
    tasks = [name for name, _ in celery_broker.queued()]
    assert tasks.count("core.tasks.dispatch_events") == 1
    tasks.remove("core.tasks.dispatch_events")
    assert sorted(tasks) == sorted(
        [
            "sims.tasks.sync_sims",
            "quotas.tasks.refresh_quotas",
            "sims.tasks.refresh_connectivity",
            "usage.tasks.sync_usage",
            "quotas.tasks.check_quotas",
            "sms.tasks.sync_sms",
            "provisioning.tasks.seed_demo_subscribers",
            "payments.tasks.settle_demo_outage",
            "sites.tasks.place_demo_sims",
        ]
    )

    celery_broker.purge()
    seed()
    assert OnenceSim.objects.count() == seeded  # --if-empty: not seeded twice


def test_prints_the_simulators_true_sim_count(settings, celery_broker):
    from simulators.onence.testing import seed_fleet

    settings.SIMULATORS_ENABLED = True
    seed_fleet(sims=7, days=1)  # a fleet made earlier, e.g. by hand: not seeded over

    assert "simulator with 7 SIMs" in seed()
