"""The production path as shipped: docker-compose.yml, the image, the locks and the settings a
newcomer's ``cp .env.example .env`` gives. Docker cannot run in CI, so the compose file is
validated against the Compose Specification's JSON schema (vendored in ``data/``) and its
wiring is read here; the settings are started as a deployment starts them."""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import resolve
from jsonschema import Draft7Validator

from core.views import HEALTH_VIEWS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_SCHEMA = Path(__file__).parent / "data" / "compose-spec.json"
# The services built from this repository, and those of them that run for good.
APP_SERVICES = {"migrate", "web", "worker", "beat"}
LONG_RUNNING = {"web", "worker", "beat", "proxy", "db", "redis"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` with nothing set: the default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def service_env(compose: dict, name: str) -> dict[str, str]:
    return {k: interpolate(str(v)) for k, v in compose["services"][name]["environment"].items()}


def test_compose_file_follows_the_compose_specification(compose):
    validator = Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_app_services_wait_for_one_migrate_step(compose):
    services = compose["services"]
    built = {name for name, service in services.items() if "build" in service}
    assert built == APP_SERVICES
    migrate = services["migrate"]
    assert "manage.py migrate" in migrate["command"]
    assert "manage.py setup_periodic_tasks" in migrate["command"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"] == {"condition": "service_healthy"}
    for name in APP_SERVICES - {"migrate"}:
        service = services[name]
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
        assert "migrate" not in str(service.get("command", "")), name  # nobody races it


def test_long_running_services_restart_and_report_health(compose):
    services = compose["services"]
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
    for name in LONG_RUNNING - {"beat"}:  # beat has no probe; its runs show in /scheduler
        assert services[name]["healthcheck"]["test"], name
    assert services["proxy"]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_web_healthcheck_probes_a_health_view(compose):
    probe = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    url = re.search(r"http://127\.0\.0\.1:8000(/[\w/]*)", probe)
    assert url, probe
    assert resolve(url.group(1)).func in HEALTH_VIEWS


def test_only_the_tls_proxy_is_published(compose):
    services = compose["services"]
    assert "ports" not in services["web"]
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])
    for name in ("db", "redis"):  # loopback only (the test suite, pg_dump)
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"]), name
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert re.search(r"^\s*reverse_proxy web:8000\b", caddyfile, re.M)
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]


def test_app_trusts_exactly_the_one_proxy(compose):
    for name in APP_SERVICES:
        env = service_env(compose, name)
        assert env["FLEETOPS_ENV"] == "production", name
        assert env["NUM_PROXIES"] == "1", name  # Caddy replaces X-Forwarded-For
        assert env["SECURE_PROXY_SSL_HEADER"] == "true", name
        assert env["CSRF_TRUSTED_ORIGINS"] == f"https://{env['ALLOWED_HOSTS']}", name


def test_one_gunicorn_timeout(compose):
    """Set in config/gunicorn.py only (GUNICORN_TIMEOUT); no command repeats it."""
    shipped = [(ROOT / "Dockerfile").read_text(), (ROOT / "Procfile").read_text()]
    shipped += [str(service.get("command", "")) for service in compose["services"].values()]
    for text in shipped:
        assert not re.search(r"--timeout|\s-t\s|timeout=", text.split("#")[0]), text
    for service in compose["services"].values():
        assert "GUNICORN_TIMEOUT" not in (service.get("environment") or {})
    assert compose["services"]["web"]["command"] == "gunicorn -c config/gunicorn.py"
    assert 'CMD ["gunicorn", "-c", "config/gunicorn.py"]' in shipped[0]


@pytest.mark.parametrize(
    ("setting", "expected"), [(None, "(50000, 20, 100)"), ("1000,5,5", "(1000, 5, 5)")]
)
def test_a_worker_freezes_the_app_and_collects_at_its_threshold(setting, expected):
    """config/gunicorn.py's ``post_worker_init``, in a fresh interpreter as a worker runs it."""
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_GC_THRESHOLD"}
    if setting:
        env["GUNICORN_GC_THRESHOLD"] = setting
    script = (
        "import gc; from config import gunicorn; gunicorn.post_worker_init(None);"
        " print(gc.get_threshold(), gc.get_freeze_count() > 0)"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == [*expected.split(), "True"], out.stderr


def test_the_image_installs_the_production_lock_only():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs == ["RUN /venv/bin/pip install --require-hashes --no-deps -r /tmp/base.lock"]
    assert "COPY requirements/base.lock /tmp/base.lock" in dockerfile
    assert "STATIC_ROOT" not in dockerfile.split("ENV", 1)[1].split("\n", 1)[0]


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", "*.sqlite3", "var", "media", "__pycache__", "bench"} <= ignored


def lock_pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {
        re.sub(r"[-_.]+", "-", n).lower(): v
        for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)
    }


def requested(name: str) -> dict[str, str]:
    """The pins a requirements .txt asks for, its ``-r`` files included."""
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            pins |= requested(line[3:])
        elif "==" in line:
            package, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", package.split("[")[0]).lower()] = version
    return pins


@pytest.mark.parametrize(("source", "lock"), [("base.txt", "base.lock"), ("dev.txt", "dev.lock")])
def test_locks_pin_every_package_with_hashes_as_requested(source, lock):
    """Each .txt pin is in its lock at the same version (else: `make lock`), every locked
    package has hashes, and the production lock holds no development tool."""
    pins = lock_pins(lock)
    for package, version in requested(source).items():
        assert pins.get(package) == version, (package, version, lock)
    text = (ROOT / "requirements" / lock).read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1].strip())
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    if lock == "base.lock":
        assert {"honcho", "pytest", "ruff", "pip-tools", "schemathesis"}.isdisjoint(pins)


def test_dev_lock_installs_the_same_production_packages():
    dev = lock_pins("dev.lock")
    assert {p: v for p, v in lock_pins("base.lock").items() if dev.get(p) != v} == {}


# --- The settings a copied .env.example gives ------------------------------------------------


@pytest.fixture(scope="module")
def project_with_example_env(tmp_path_factory) -> Path:
    """A copy of the project whose ``.env`` is ``.env.example``, as after a newcomer's
    ``cp .env.example .env`` (the settings read ``.env`` beside ``manage.py``)."""
    copy = tmp_path_factory.mktemp("clone") / "fleetops"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", ".env", "__pycache__", "*.sqlite3", ".*_cache", "bench"
        ),
    )
    shutil.copy(ROOT / ".env.example", copy / ".env")
    return copy


def manage(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in ``project`` with only ``env`` besides the basics: nothing of the test
    run's own configuration (FLEETOPS_ENV, DATABASE_URL, ...) leaks in."""
    base = {"PATH": "/usr/bin:/bin", "HOME": str(project), "LANG": "C.UTF-8"}
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *args],
        cwd=project,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_example_env_loads_in_development(project_with_example_env):
    result = manage(project_with_example_env, "check")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    shell = manage(
        project_with_example_env,
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.FLEETOPS_ENV, s.DATABASES['default']['ENGINE'], s.DEBUG, s.SITE_URL)",
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip().splitlines()[-1].split() == [
        "development",
        "django.db.backends.sqlite3",
        "True",
        "http://127.0.0.1:8000",
    ]


def production_env(compose: dict) -> dict[str, str]:
    """What a deployment adds to the example: the compose app environment and a secret."""
    return {**service_env(compose, "web"), "SECRET_KEY": secrets.token_urlsafe(50)}


def test_example_env_passes_the_deploy_check_in_production(project_with_example_env, compose):
    """`check --deploy` with the example and the compose environment: not one warning."""
    result = manage(
        project_with_example_env,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **production_env(compose),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_example_env_without_a_proxy_still_passes_the_deploy_check(project_with_example_env):
    """The minimum a deployment must set itself: FLEETOPS_ENV, SECRET_KEY and ALLOWED_HOSTS."""
    result = manage(
        project_with_example_env,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        FLEETOPS_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="fleetops.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- Health probes from inside ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/ready"])
def test_health_answers_whatever_the_host(client, settings, path):
    """A container healthcheck or a load balancer probes the instance's own address, which
    ALLOWED_HOSTS (the public names) does not list."""
    settings.ALLOWED_HOSTS = ["fleetops.example.com"]
    response = client.get(path, HTTP_HOST="172.18.0.5:8000")
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"]  # the outer middleware still sees it


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v1/jobs", "/admin/login/", "/healthz", "/health/x"])
def test_other_paths_still_refuse_a_host_not_allowed(client, settings, path):
    settings.ALLOWED_HOSTS = ["fleetops.example.com"]
    assert client.get(path, HTTP_HOST="172.18.0.5:8000").status_code == 400


# --- Admin login through the TLS proxy ----------------------------------------------------------

PUBLIC_HOST = "fleetops.example.com"
# What Caddy adds: the scheme it served and the address it saw (replacing any the client sent).
THROUGH_PROXY = {
    "HTTP_HOST": PUBLIC_HOST,
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_FOR": "203.0.113.7",
    "REMOTE_ADDR": "172.18.0.9",  # the proxy's container
}


@pytest.fixture
def behind_the_proxy(settings, compose):
    """The settings the compose environment gives (production transport security)."""
    env = service_env(compose, "web")
    settings.ALLOWED_HOSTS = [PUBLIC_HOST]
    settings.CSRF_TRUSTED_ORIGINS = [f"https://{PUBLIC_HOST}"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.NUM_PROXIES = int(env["NUM_PROXIES"])
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    return settings


@pytest.mark.django_db
def test_admin_login_works_through_the_tls_proxy(behind_the_proxy, make_user):
    from django.test import Client

    from accounts.models import AuditLog

    user = make_user(username="operator1", is_staff=True, is_superuser=True)
    user.set_password("correct-horse-battery")
    user.save()
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/", **THROUGH_PROXY)
    assert page.status_code == 200  # HTTPS as far as Django knows: no redirect
    assert page.cookies["csrftoken"]["secure"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "operator1",
            "password": "correct-horse-battery",
            "csrfmiddlewaretoken": token.group(1),
        },
        HTTP_ORIGIN=f"https://{PUBLIC_HOST}",
        **THROUGH_PROXY,
    )
    assert response.status_code == 302 and response["Location"] == "/admin/", response.content
    assert response.cookies["sessionid"]["secure"]
    entry = AuditLog.objects.filter(user=user).latest("id")
    assert entry.ip_address == "203.0.113.7"  # the client, not the proxy


@pytest.mark.django_db
def test_plain_http_to_the_app_redirects_to_https(behind_the_proxy, client):
    response = client.get("/admin/login/", HTTP_HOST=PUBLIC_HOST)
    assert response.status_code == 301
    assert response["Location"] == f"https://{PUBLIC_HOST}/admin/login/"
