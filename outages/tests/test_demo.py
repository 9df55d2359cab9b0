import pytest

from outages.demo import seed_demo_outages
from outages.models import Outage, RootCauseAnalysis, SlaResult

pytestmark = pytest.mark.django_db


def test_demo_history_is_made_once_through_the_services(organization):
    assert seed_demo_outages(organization=organization, count=20, days=30) == 20
    assert Outage.objects.filter(organization=organization).count() == 20
    assert Outage.objects.filter(resolved_at__isnull=True).count() >= 6
    assert SlaResult.objects.count() == Outage.objects.filter(resolved_at__isnull=False).count()
    assert RootCauseAnalysis.objects.exists()
    assert seed_demo_outages(organization=organization, count=20, days=30) == 0
    assert Outage.objects.count() == 20
