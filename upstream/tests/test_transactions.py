"""No upstream call inside a database transaction (``upstream.transactions``)."""

import pytest
from celery import shared_task
from django.db import transaction
from structlog.testing import capture_logs

from upstream.http import UpstreamTransport
from upstream.tests.conftest import Scripted
from upstream.transactions import UpstreamCallInTransaction

pytestmark = pytest.mark.django_db


def transport(url):
    return UpstreamTransport(upstream="test", display_name="Test", base_url=url)


@shared_task(name="upstream.tests.call_upstream")
def call_upstream(url: str) -> int:
    return transport(url).request("GET", "/thing", operation="read_thing").status_code


def test_a_call_inside_a_transaction_is_refused_before_it_is_sent(scripted_server):
    scripted_server.answer(Scripted(body={}))

    with transaction.atomic(), pytest.raises(UpstreamCallInTransaction, match="read_thing"):
        transport(scripted_server.url).request("GET", "/thing", operation="read_thing")

    assert scripted_server.received == []
    assert transport(scripted_server.url).request("GET", "/thing", operation="read_thing").ok


def test_logged_instead_when_set_to_log(scripted_server, settings):
    settings.UPSTREAM_IN_TRANSACTION = "log"
    scripted_server.answer(Scripted(body={}))

    with transaction.atomic(), capture_logs() as logs:
        assert transport(scripted_server.url).request("GET", "/t", operation="read_thing").ok

    [warning] = [e for e in logs if e["event"] == "upstream_call_in_transaction"]
    assert (warning["upstream"], warning["operation"]) == ("test", "read_thing")


def test_an_eager_task_is_checked_against_its_own_transactions_only(scripted_server):
    """A worker runs a task outside the transaction that queued it; the eager test broker
    runs it inside: that outer transaction is not the task's."""
    scripted_server.answer(Scripted(body={}))

    with transaction.atomic():
        assert call_upstream.delay(scripted_server.url).get() == 200
        with pytest.raises(UpstreamCallInTransaction):
            transport(scripted_server.url).request("GET", "/thing", operation="read_thing")
