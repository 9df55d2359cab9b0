"""A bounded Schemathesis run over the whole OpenAPI schema (DESIGN.md, Testing).

Schemathesis reads ``/openapi.json`` from a live server and sends what it generates from it
(examples, coverage, fuzzing and stateful phases, a fixed seed): once with an operator's API
key, with the 1NCE simulator as the upstream, and once without credentials. Every check must
hold (but the two heuristic ones, see ``HEURISTIC_CHECKS``): no server error, every answer's
status, content type, headers and body as documented.

Rate limits are off here: the run would otherwise measure them, not the API.

The size of the run is bounded for the suite (a few minutes on 2 cores). For a larger run by
hand, set ``FLEETOPS_FUZZ_EXAMPLES`` (examples per operation and phase) and
``FLEETOPS_FUZZ_SEED``; ``FLEETOPS_FUZZ_REPORT_DIR`` keeps Schemathesis' JUnit and NDJSON
reports and its printed summary there.
"""

import os

import pytest
from click.testing import CliRunner
from schemathesis.cli import schemathesis as schemathesis_cli

from accounts import services as accounts_services
from accounts.models import Role

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

SEED = int(os.environ.get("FLEETOPS_FUZZ_SEED", "20260901"))
MAX_EXAMPLES = int(os.environ.get("FLEETOPS_FUZZ_EXAMPLES", "10"))
REPORT_DIR = os.environ.get("FLEETOPS_FUZZ_REPORT_DIR", "")
PHASES = "examples,coverage,fuzzing,stateful"
# These two judge whether the schema states every business rule (an API key's expiry in the
# future, a non-empty batch, a 20-digit ICCID's Luhn digit, a period of at most two years),
# which OpenAPI cannot express; every other check runs.
HEURISTIC_CHECKS = ("positive_data_acceptance", "negative_data_rejection")


@pytest.fixture
def api(live_server, onence_fleet, horizon_simulator, settings):
    """The live server with 1NCE's and Horizon's simulators as the upstreams and three
    mirrored SIMs."""
    settings.RATE_LIMIT_ENABLED = False  # the Nagle delay is off: see answer_without_nagle
    return live_server


def run_schemathesis(base_url: str, *extra: str, name: str, tmp_path, iccids=()) -> tuple[int, str]:
    """Run Schemathesis' CLI in this process; answers its exit code and output.

    ``iccids`` (SIMs that exist) are used for half the ``{iccid}`` path parameters, so the
    run reaches past the 404 into what each SIM operation does.
    """
    # Its own config file, so no schemathesis.toml lying around changes the run, and no cache
    # of earlier failures replayed first (the run depends on the seed alone).
    config = tmp_path / "schemathesis.toml"
    lines = ["[cache]", "enabled = false"]
    if iccids:
        lines += [
            "[dictionaries.iccids]",
            "values = [" + ", ".join(f'"{iccid}"' for iccid in iccids) + "]",
            "[parameters]",
            '"path.iccid" = { dictionary = "iccids", probability = 0.5 }',
        ]
    config.write_text("\n".join(lines) + "\n")
    args = [
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(HEURISTIC_CHECKS),
        "--phases",
        PHASES,
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        *extra,
    ]
    if REPORT_DIR:
        args += ["--report", "junit,ndjson", "--report-dir", os.path.join(REPORT_DIR, name)]
    result = CliRunner().invoke(schemathesis_cli, args, catch_exceptions=False)
    if REPORT_DIR:  # the summary (requests generated, failures) beside the reports
        os.makedirs(os.path.join(REPORT_DIR, name), exist_ok=True)
        with open(os.path.join(REPORT_DIR, name, "summary.txt"), "w") as summary:
            summary.write(result.output)
    return result.exit_code, result.output


def test_schemathesis_as_an_operator(api, onence_fleet, make_user, tmp_path):
    operator = make_user(role=Role.OPERATOR)
    _, raw_key = accounts_services.issue_api_key(user=operator, name="schemathesis")

    code, output = run_schemathesis(
        api.url,
        "--header",
        f"X-API-Key: {raw_key}",
        name="operator",
        tmp_path=tmp_path,
        iccids=[sim.iccid for sim in onence_fleet],
    )

    assert code == 0, output


def test_schemathesis_without_credentials(api, tmp_path):
    code, output = run_schemathesis(api.url, name="anonymous", tmp_path=tmp_path)

    assert code == 0, output
