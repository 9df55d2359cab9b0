"""The periodic quota refresh against the 1NCE simulator over HTTP: the quota mirror (and the
console's quota list) fills for the whole fleet, least recently read first, bounded per run."""

import pytest

from config.schedules import PERIODIC_TASKS
from quotas.models import Quota, QuotaStatus, QuotaType
from quotas.tasks import refresh_quotas
from sims.models import Sim
from sims.tests.factories import SimFactory
from simulators.onence import testing
from simulators.onence.models import OnenceSim

pytestmark = pytest.mark.django_db(transaction=True)


def quota_reads() -> list[str]:
    """ICCIDs whose data quota 1NCE was asked for, in order."""
    return [
        call["path"].split("/")[-3]
        for call in testing.requests_received(path_contains="/quota/data", method="GET")
    ]


def test_refresh_mirrors_both_quotas_of_every_sim(fleet, other_organization):
    unconnected = SimFactory(organization=other_organization)  # no 1NCE account: never read

    report = refresh_quotas.delay().get()

    assert (report["sims"], report["refreshed"], report["failed"]) == (3, 3, 0)
    for sim in fleet:
        upstream = OnenceSim.objects.get(iccid=sim.iccid)
        data = Quota.objects.get(sim=sim, quota_type=QuotaType.DATA)
        sms = Quota.objects.get(sim=sim, quota_type=QuotaType.SMS)
        assert data.remaining == upstream.data_volume and data.refreshed_at is not None
        assert sms.remaining == upstream.sms_volume
        assert data.status != QuotaStatus.UNKNOWN
        mirrored = Sim.objects.get(pk=sim.pk)
        assert mirrored.data_quota_remaining_bytes == upstream.data_volume
    assert not Quota.objects.filter(sim=unconnected).exists()


def test_each_run_is_bounded_and_takes_the_least_recently_read_first(fleet, settings):
    settings.QUOTA_REFRESH_MAX_SIMS = 2
    assert refresh_quotas.delay().get()["refreshed"] == 2
    never_read = [sim for sim in fleet if not Quota.objects.filter(sim=sim).exists()]
    assert len(never_read) == 1

    assert refresh_quotas.delay().get()["refreshed"] == 2
    reads = quota_reads()
    assert len(reads) == 4
    assert reads[2] == never_read[0].iccid  # never read first, then the oldest read
    assert reads[3] == reads[0]
    assert Quota.objects.count() == 6


def test_1nce_down_stops_the_run_and_keeps_the_mirror(fleet, settings):
    refresh_quotas.delay().get()
    before = {q.pk: (q.remaining, q.refreshed_at) for q in Quota.objects.all()}
    settings.USAGE_SYNC_ABORT_AFTER = 2
    settings.UPSTREAM_MAX_RETRIES = 0
    testing.set_faults(error_rate=1.0, error_status=503, paths="/quota")

    report = refresh_quotas.delay().get()

    assert report["aborted"] is True and report["refreshed"] == 0
    assert {q.pk: (q.remaining, q.refreshed_at) for q in Quota.objects.all()} == before


def test_refresh_is_declared_with_an_expiry_under_its_period():
    schedule = next(s for s in PERIODIC_TASKS if s.task == "quotas.tasks.refresh_quotas")
    assert schedule.expires_seconds < schedule.every_seconds <= 15 * 60
