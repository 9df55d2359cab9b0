"""The dashboard's connectivity counts: each SIM counted once, by its newest reading."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sims.models import ConnectivitySnapshot, Sim
from sims.selectors import connectivity_counts
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db


def test_each_sim_is_counted_by_its_newest_reading():
    now = timezone.now()
    back_online, gone_offline, tied = SimFactory.create_batch(3)
    other = SimFactory()
    for sim, readings in (
        (back_online, [(False, 3), (True, 1)]),
        (gone_offline, [(True, 30), (False, 2)]),
        (other, [(True, 1)]),
    ):
        for connected, hours in readings:
            ConnectivitySnapshot.objects.create(
                sim=sim, connected=connected, taken_at=now - timedelta(hours=hours)
            )
    # Two readings at the same moment: the later row is the newer.
    ConnectivitySnapshot.objects.create(sim=tied, connected=True, taken_at=now)
    ConnectivitySnapshot.objects.create(sim=tied, connected=False, taken_at=now)
    sims = Sim.objects.exclude(pk=other.pk)
    assert connectivity_counts(sims, now=now) == {
        "online": 1,
        "offline": 2,
        "unknown": 0,
        "not_seen": 1,  # gone_offline: last connected 30 hours ago
    }
