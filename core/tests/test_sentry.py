"""Optional error tracking: Sentry is off without ``SENTRY_DSN``; with it, Django and Celery
errors are sent without personal data and through our log redactors (no network here: a
client is configured, nothing is sent)."""

from config.sentry import before_send
from core.logging import REDACTED
from core.tests.settings_probe import printed

CODE = (
    "import sentry_sdk; client = sentry_sdk.get_client(); o = client.options; "
    "print(client.is_active(), sorted(client.integrations) if client.is_active() else [], "
    "o.get('send_default_pii'), o.get('include_local_variables'), "
    "getattr(o.get('before_send'), '__module__', None), o.get('environment'))"
)


def test_off_without_a_dsn():
    assert printed(CODE, drop=("SENTRY_",)).startswith("False [] ")


def test_on_with_a_dsn_without_personal_data_and_through_our_redactors():
    line = printed(CODE, drop=("SENTRY_",), SENTRY_DSN="https://key@127.0.0.1:9/1")
    active, rest = line.split(" ", 1)
    assert active == "True"
    assert "'celery'" in rest and "'django'" in rest
    assert rest.endswith("False False config.sentry test")


def test_before_send_redacts_secrets_in_urls_fields_and_messages():
    event = {
        "request": {
            "url": "http://fleetops/api/v1/sims?api_key=sk_live_abc&page=2",
            "headers": {"Authorization": "Bearer abc", "X-API-Key": "sk_live_abc", "Accept": "*/*"},
            "data": {"password": "hunter2", "name": "ok"},
        },
        "logentry": {"message": "calling https://x/oauth?client_secret=s3cret&x=1"},
        "exception": {
            "values": [{"stacktrace": {"frames": [{"vars": {"refresh_token": "rt", "n": 1}}]}}]
        },
        "extra": {"nested": {"deeper": {"access_token": "at"}}},
    }

    sent = before_send(event, {})

    request = sent["request"]
    assert request["url"] == f"http://fleetops/api/v1/sims?api_key={REDACTED}&page=2"
    assert request["headers"] == {
        "Authorization": REDACTED,
        "X-API-Key": REDACTED,
        "Accept": "*/*",
    }
    assert request["data"] == {"password": REDACTED, "name": "ok"}
    assert sent["logentry"]["message"] == f"calling https://x/oauth?client_secret={REDACTED}&x=1"
    frame = sent["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["vars"] == {"refresh_token": REDACTED, "n": 1}
    assert sent["extra"]["nested"]["deeper"]["access_token"] == REDACTED
    assert "sk_live_abc" not in repr(sent) and "hunter2" not in repr(sent)
