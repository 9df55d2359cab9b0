"""``manage.py seed_demo``: the demo organization, admin and a fresh API key, idempotently;
never in production unless forced."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import APIKey, Organization, User

pytestmark = pytest.mark.django_db


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
    # One live demo key: the previous run's is revoked, the new one printed once.
    keys = APIKey.objects.filter(user=admin, name="demo")
    assert keys.count() == 2
    live = keys.get(revoked=False)
    assert f"sk_live_{live.prefix}." in out
    assert keys.get(revoked=True).revoked_at is not None


def test_with_simulators_it_seeds_1nce_once_and_queues_the_first_syncs(
    settings, celery_broker, django_capture_on_commit_callbacks
):
    # Imported here: the simulator app is a test-and-demo app, not a dependency of accounts.
    from simulators.onence.models import OnenceSim

    settings.SIMULATORS_ENABLED = True
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    seeded = OnenceSim.objects.count()
    assert seeded == 200
    tasks = [name for name, _ in celery_broker.queued()]
    assert sorted(tasks) == sorted(
        [
            "sims.tasks.sync_sims",
            "usage.tasks.sync_usage",
            "quotas.tasks.check_quotas",
            "sms.tasks.sync_sms",
            "provisioning.tasks.seed_demo_subscribers",
        ]
    )

    celery_broker.purge()
    seed()
    assert OnenceSim.objects.count() == seeded  # --if-empty: not seeded twice
