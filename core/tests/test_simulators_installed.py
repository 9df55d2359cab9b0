"""The simulators (their tables, admin pages and /sim/ routes) exist only with
``SIMULATORS_ENABLED``; production settings load and route without them."""

from django.apps import apps
from django.urls import resolve

from core.tests.settings_probe import printed

PROBE = (
    "from django.apps import apps; from django.contrib import admin;"
    "import config.urls;"
    "print(apps.is_installed('simulators'),"
    " any(m._meta.app_label == 'simulators' for m in admin.site._registry))"
)


def probe(**env) -> str:
    return printed(PROBE, drop=("SIMULATORS_ENABLED", "DEBUG"), **env)


def test_production_installs_no_simulator():
    assert probe(FLEETOPS_ENV="production", SECRET_KEY="x" * 50) == "False False"


def test_simulators_switched_off_are_not_installed():
    assert probe(FLEETOPS_ENV="development", SIMULATORS_ENABLED="false") == "False False"


def test_simulators_switched_on_are_installed_with_their_admin():
    assert probe(FLEETOPS_ENV="production", SECRET_KEY="x" * 50, SIMULATORS_ENABLED="true") == (
        "True True"
    )


def test_the_test_run_has_the_simulators():
    assert apps.is_installed("simulators")
    assert resolve("/sim/1nce/management-api/v2/sims").url_name is not None
