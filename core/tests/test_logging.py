"""No secret reaches an access-log line: ours (structlog) and gunicorn's (config/gunicorn.py)."""

import logging
import re
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import structlog
from gunicorn.config import Config

from core.logging import redact_query
from core.tests.logs import log_output  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk_live_abcd1234.s3cr3tvalue"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_key=§&page=2", "api_key=[REDACTED]&page=2"),
        ("/sims?page=2&API_KEY=§", "/sims?page=2&API_KEY=[REDACTED]"),
        (
            "GET /x?Token=§;access_token=§ HTTP/1.1",
            "GET /x?Token=[REDACTED];access_token=[REDACTED] HTTP/1.1",
        ),
        (
            "a=1&refresh_token=§&password=§&secret=§",
            "a=1&refresh_token=[REDACTED]&password=[REDACTED]&secret=[REDACTED]",
        ),
        ("api%5Fkey=§&client_secret=§#frag", "api%5Fkey=[REDACTED]&client_secret=[REDACTED]#frag"),
        ("https://h/?next=/a&apikey=§", "https://h/?next=/a&apikey=[REDACTED]"),
        ("page=2&search=token", "page=2&search=token"),
        ("no query here", "no query here"),
    ],
)
def test_redact_query_blanks_only_secret_parameters(text, expected):
    assert redact_query(text.replace("§", SECRET)) == expected


@pytest.mark.django_db
def test_our_request_line_keeps_the_query_without_secrets(client, log_output):  # noqa: F811
    client.get(f"/health?api_key={SECRET}&page=2&Token={SECRET}")
    line = next(line for line in log_output().splitlines() if "fleetops.access" in line)
    assert "page=2" in line
    assert "api_key=[REDACTED]" in line
    assert SECRET not in log_output()


def test_secret_fields_and_urls_in_any_log_line_are_redacted(log_output):  # noqa: F811
    structlog.get_logger("test").info(
        "call", url=f"https://x/y?token={SECRET}", password=SECRET, nested={"api_key": SECRET}
    )
    logging.getLogger("django.server").warning('"GET /api/v1/sims?api_key=%s HTTP/1.1" 401', SECRET)
    try:
        raise ValueError(f"failed for https://x/y?access_token={SECRET}")
    except ValueError:
        logging.getLogger("test").exception("boom")
    output = log_output()
    assert "django.server" in output and "boom" in output
    assert SECRET not in output


def gunicorn_logger(tmp_path, **settings):
    """The logger gunicorn builds from config/gunicorn.py, writing to files under tmp_path."""
    cfg = Config()
    for name, value in runpy.run_path(str(ROOT / "config" / "gunicorn.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    for name, value in settings.items():
        cfg.set(name, value)
    return cfg.logger_class(cfg)


def fake_request():
    query = f"page=2&api_key={SECRET}&Refresh_Token={SECRET}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/v1/sims?{query}",
        "PATH_INFO": "/api/v1/sims",
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://app.example/?password={SECRET}",
        "HTTP_USER_AGENT": "curl/8",
        "HTTP_X_API_KEY": SECRET,
        "HTTP_AUTHORIZATION": f"Bearer {SECRET}",
    }
    req = SimpleNamespace(
        headers=[("X-API-KEY", SECRET), ("AUTHORIZATION", f"Bearer {SECRET}")],
        uri=environ["RAW_URI"],
    )
    resp = SimpleNamespace(status="200 OK", sent=42, headers=[("Set-Cookie", f"s={SECRET}")])
    return resp, req, environ


@pytest.mark.parametrize(
    "access_log_format",
    [
        None,  # gunicorn's default: request line, referer, user agent
        "%(r)s %(q)s %(f)s %({x-api-key}i)s %({authorization}i)s %({raw_uri}e)s "
        "%({query_string}e)s %({http_x_api_key}e)s %({set-cookie}o)s %(U)s",
    ],
)
def test_gunicorn_access_log_line_has_no_secret(tmp_path, access_log_format):
    settings = {"access_log_format": access_log_format} if access_log_format else {}
    logger = gunicorn_logger(tmp_path, **settings)
    resp, req, environ = fake_request()
    logger.access(resp, req, environ, timedelta(milliseconds=12))
    line = (tmp_path / "access.log").read_text()
    assert "/api/v1/sims?page=2&api_key=[REDACTED]&Refresh_Token=[REDACTED]" in line
    assert "password=[REDACTED]" in line
    assert SECRET not in line


def test_gunicorn_error_log_quotes_the_url_without_secrets(tmp_path):
    logger = gunicorn_logger(tmp_path)
    try:
        raise RuntimeError("worker failed")
    except RuntimeError:
        logger.exception("Error handling request %s", f"/api/v1/sims?api_key={SECRET}")
    text = (tmp_path / "error.log").read_text()
    assert "Error handling request /api/v1/sims?api_key=[REDACTED]" in text
    assert SECRET not in text


def test_every_shipped_gunicorn_command_uses_the_config():
    commands = []
    for name in ("Dockerfile", "docker-compose.yml", "Procfile"):
        text = (ROOT / name).read_text()
        commands += [
            (name, line)
            for line in text.splitlines()
            if re.search(r"\bgunicorn\b", line) and not line.lstrip().startswith("#")
        ]
    assert {name for name, _ in commands} >= {"Dockerfile", "docker-compose.yml"}
    for name, line in commands:
        assert re.search(r"""-c["', ]+config/gunicorn\.py""", line), (name, line)
        assert "--access-logfile" not in line and "--logger-class" not in line, (name, line)
