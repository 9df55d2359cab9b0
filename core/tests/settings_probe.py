"""FleetOps' settings loaded in a fresh interpreter, as a deployment loads them: the one way
settings tests start Django with an environment of their own."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_settings(
    code: str = "", *, drop: tuple[str, ...] = (), **env
) -> subprocess.CompletedProcess:
    """Set Django up, then run ``code``, in a new interpreter whose environment is this one
    without the variables starting with any of ``drop``, plus ``env``."""
    clean = (
        {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        if drop
        else dict(os.environ)
    )
    return subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def printed(code: str, *, drop: tuple[str, ...] = (), **env) -> str:
    """The last line ``code`` prints (see :func:`run_settings`); the start must succeed."""
    result = run_settings(code, drop=drop, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
