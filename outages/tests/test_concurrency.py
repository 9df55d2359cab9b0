"""Race-free numbering and evaluation: concurrent writers in real transactions."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.context import Context
from outages import services
from outages.models import Outage, SlaResult
from outages.tests.factories import OutageFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def target():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_concurrent_creates_get_distinct_consecutive_numbers(organization):
    ids = run_in_threads(
        6,
        lambda: services.create_outage(
            organization=organization, site_name="S", severity="low", context=Context.system()
        ).public_id,
    )
    assert sorted(ids) == [f"OUT{n:06d}" for n in range(1, 7)]
    assert Outage.objects.filter(organization=organization).count() == 6


def test_concurrent_evaluations_record_one_result(organization):
    detected = timezone.now() - timedelta(hours=1)
    outage = OutageFactory(
        organization=organization,
        status="resolved",
        detected_at=detected,
        resolved_at=detected + timedelta(minutes=25),
        mttr_minutes=25,
    )
    recorded = run_in_threads(
        4,
        lambda: services.evaluate_sla(
            outage=Outage.objects.select_related("organization").get(pk=outage.pk),
            context=Context.system(),
        )[1],
    )
    assert sorted(recorded) == [False, False, False, True]
    assert SlaResult.objects.filter(outage=outage).count() == 1
