"""A bulk top-up runs as bounded chunks that resume the job, buying each package once."""

import pytest

from core.models import Job, JobStatus
from quotas.tests.conftest import PACKAGE, topup_posts

pytestmark = pytest.mark.django_db(transaction=True)


def test_bulk_top_up_runs_in_chunks_each_resuming_the_job_and_buys_once(
    operator_client, fleet, settings
):
    settings.JOB_CHUNK_SECONDS = 0  # every chunk stops after one item
    body = {"sims": [{"iccid": s.iccid, "quota_type": "data", "volume": PACKAGE} for s in fleet]}

    response = operator_client.post("/api/v1/sims/topup", body, format="json")

    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["data"]["job_id"])
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 3, 0)
    assert job.runs == 3  # three task runs, each enqueued by the one before
    assert sorted(row["path"] for row in topup_posts()) == sorted(
        row["path"] for s in fleet for row in topup_posts(s.iccid)
    )
    assert len(topup_posts()) == 3
