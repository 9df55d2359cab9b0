import pytest

from alerts.tests.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what a block schedules with ``transaction.on_commit`` (the test's transaction never
    commits), repeatedly, until nothing new is scheduled: dispatch, then delivery."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run
