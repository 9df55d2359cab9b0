"""The daily cleanup prunes connectivity snapshots past ``CONNECTIVITY_RETENTION_DAYS``,
keeping each SIM's newest (the answer while 1NCE is down)."""

from datetime import timedelta

from django.utils import timezone

from core.tasks import cleanup
from sims.models import ConnectivitySnapshot
from sims.tests.factories import SimFactory


def snapshot(sim, *, days_ago: int) -> ConnectivitySnapshot:
    return ConnectivitySnapshot.objects.create(
        sim=sim, connected=True, taken_at=timezone.now() - timedelta(days=days_ago)
    )


def test_cleanup_prunes_old_snapshots_but_keeps_each_sims_newest(organization, settings):
    settings.CONNECTIVITY_RETENTION_DAYS = 30
    read_often, read_once = (
        SimFactory(organization=organization),
        SimFactory(organization=organization),
    )
    old = [snapshot(read_often, days_ago=45), snapshot(read_often, days_ago=31)]
    kept = [
        snapshot(read_often, days_ago=29),
        snapshot(read_often, days_ago=0),
        snapshot(read_once, days_ago=90),  # its only reading: still its fallback
    ]

    result = cleanup.delay().get()

    assert result["connectivity_snapshots_deleted"] == len(old)
    assert set(ConnectivitySnapshot.objects.values_list("pk", flat=True)) == {s.pk for s in kept}


def test_retention_follows_the_setting(organization, settings):
    sim = SimFactory(organization=organization)
    snapshot(sim, days_ago=10)
    newest = snapshot(sim, days_ago=1)

    settings.CONNECTIVITY_RETENTION_DAYS = 30
    assert cleanup.delay().get()["connectivity_snapshots_deleted"] == 0
    settings.CONNECTIVITY_RETENTION_DAYS = 7
    assert cleanup.delay().get()["connectivity_snapshots_deleted"] == 1
    assert list(ConnectivitySnapshot.objects.all()) == [newest]
