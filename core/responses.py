"""Answers every app gives the same way: ``job_accepted``, the one 202 of a started job.

Every endpoint that starts a job (bulk ``POST /sims``, ``sync-all``, bulk top-up, ...) answers
with :func:`job_accepted`: the same body (``job_id``, ``status``, ``total``, an absolute
``status_url``) and a ``Location`` header naming that URL, so a client follows any job alike.
"""

from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.response import Response

from core.models import Job


class JobAcceptedSerializer(serializers.Serializer):
    """The 202 answer of an endpoint that started (or found running) a job."""

    job_id = serializers.CharField()
    status = serializers.CharField()
    total = serializers.IntegerField(help_text="Items the job has to do.")
    status_url = serializers.URLField(help_text="GET it for progress and per-item results.")


def job_status_url(request, job: Job) -> str:
    """The absolute URL of ``GET /api/v1/jobs/{id}`` for ``job``."""
    return request.build_absolute_uri(reverse("core-api:job-detail", kwargs={"pk": job.pk}))


def job_accepted(request, job: Job) -> Response:
    """202 Accepted for ``job``, with ``Location`` set to its status URL."""
    url = job_status_url(request, job)
    body = {"job_id": job.pk, "status": job.status, "total": job.total, "status_url": url}
    return Response(
        JobAcceptedSerializer(body).data,
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": url},
    )
