"""The docs and the admin login render in headless Chromium under their Content-Security-Policy,
with no violation reported (Debian's ``chromium`` package; skipped where it is missing)."""

import re
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Nothing is blocked: the pages load nothing from outside (ReDoc's remote footer logo is taken
# out of the bundle we serve, core.views.offline_redoc_bundle).
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def load(url: str) -> tuple[str, list[str]]:
    """The rendered DOM of ``url`` and the Content-Security-Policy messages Chromium logged."""
    result = subprocess.run(  # noqa: S603
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    violations = [
        line for line in result.stderr.splitlines() if re.search(r"Content Security Policy", line)
    ]
    return result.stdout, violations


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/docs", r'class="opblock-summary-path"'),  # Swagger UI drew the operations
        ("/redoc", r"<h1[^>]*>FleetOps API"),  # ReDoc drew the schema's title
        ("/admin/login/", r'id="login-form"'),
    ],
)
def test_page_renders_without_csp_violations(live_server, no_rate_limit, path, rendered):
    dom, violations = load(f"{live_server.url}{path}")
    assert re.search(rendered, dom), dom[:500]
    assert violations == []
