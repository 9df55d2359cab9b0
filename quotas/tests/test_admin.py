"""Auto top-up rules change in the console only through ``configure_auto_topup`` (audited,
pushed to 1NCE for data), never as raw rows."""

import pytest
from django.test import Client

from accounts.models import AuditLog, Role
from quotas.models import AutoTopUpRule

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rule_added_in_the_console_goes_through_the_service(
    make_user, onence_fleet, onence_simulator
):
    operator = make_user(Role.OPERATOR, is_staff=True)
    client = Client()
    client.force_login(operator)
    sim = onence_fleet[0]

    response = client.post(
        "/admin/quotas/autotopuprule/add/",
        {
            "sim": sim.pk,
            "quota_type": "data",
            "threshold_percentage": "80",
            "packages": "2",
            "enabled": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = AutoTopUpRule.objects.get(sim=sim, quota_type="data")
    assert (rule.threshold_percentage, rule.topup_amount) == (80, 2 * 524_288_000)
    assert rule.updated_by == operator
    assert AuditLog.objects.filter(operation="AUTO_TOPUP_CONFIGURE", user=operator).exists()
    assert onence_simulator.get_sim(sim.iccid)["auto_topup"] is True


def test_a_refused_rule_is_shown_and_nothing_is_stored(make_user, onence_fleet, onence_simulator):
    operator = make_user(Role.OPERATOR, is_staff=True)
    client = Client()
    client.force_login(operator)
    onence_simulator.set_faults(error_rate=1.0, error_status=400, enforce_rate_limit=False)

    response = client.post(
        "/admin/quotas/autotopuprule/add/",
        {
            "sim": onence_fleet[0].pk,
            "quota_type": "data",
            "threshold_percentage": "80",
            "packages": "1",
            "enabled": "on",
        },
        follow=True,
    )

    onence_simulator.clear_faults()
    shown = [str(m) for m in response.context["messages"]]
    assert shown and shown[0].startswith("1NCE: ")
    assert not AutoTopUpRule.objects.exists()
