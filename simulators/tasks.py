"""The simulators' own periodic work (scheduled only while ``SIMULATORS_ENABLED``)."""

from celery import shared_task

from simulators.onence import streamer


@shared_task(name="simulators.tasks.deliver_data_streams", max_retries=0)
def deliver_data_streams() -> dict:
    """The simulated 1NCE Data Streamer: post every configured stream's new SIM events."""
    return streamer.deliver_all()
