from rest_framework import serializers

from core.models import Job, JobItem, TaskRunOutcome
from core.serializers import FleetModelSerializer, FleetSerializer


class JobItemSerializer(FleetModelSerializer):
    class Meta:
        model = JobItem
        fields = ["key", "status", "result", "error", "attempts", "updated_at"]


class JobSerializer(FleetModelSerializer):
    job_id = serializers.CharField(source="id", read_only=True)
    progress = serializers.FloatField(read_only=True)
    results = JobItemSerializer(source="items", many=True, read_only=True)
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "job_id",
            "kind",
            "status",
            "total",
            "done",
            "failed",
            "progress",
            "error",
            "params",
            "created_at",
            "started_at",
            "finished_at",
            "status_url",
            "results",
        ]

    def get_status_url(self, job) -> str:
        return f"/api/v1/jobs/{job.pk}"


class JobSummarySerializer(JobSerializer):
    class Meta(JobSerializer.Meta):
        fields = [f for f in JobSerializer.Meta.fields if f != "results"]


class TaskRunSerializer(FleetSerializer):
    task_id = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    outcome = serializers.ChoiceField(choices=TaskRunOutcome.choices)
    error = serializers.CharField(allow_blank=True)
    result = serializers.JSONField(allow_null=True)


class ScheduledJobSerializer(FleetSerializer):
    name = serializers.CharField()
    task = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    schedule = serializers.CharField(help_text="The schedule in words, e.g. 'every hour'.")
    schedule_type = serializers.CharField(help_text="interval, crontab, solar or clocked.")
    expression = serializers.CharField(help_text="Seconds ('3600s') or crontab and zone.")
    enabled = serializers.BooleanField()
    registered = serializers.BooleanField(
        help_text="Known to django-celery-beat (false until setup_periodic_tasks has run)."
    )
    declared = serializers.BooleanField(help_text="Declared in code (config.schedules).")
    expires_seconds = serializers.IntegerField(allow_null=True)
    total_run_count = serializers.IntegerField()
    last_run = TaskRunSerializer(allow_null=True)
    last_run_at = serializers.DateTimeField(source="last_run.started_at", allow_null=True)
    last_duration_seconds = serializers.FloatField(
        source="last_run.duration_seconds", allow_null=True
    )
    last_outcome = serializers.CharField(source="last_run.outcome", allow_null=True)
    next_run_at = serializers.DateTimeField(allow_null=True)


class ScheduledJobDetailSerializer(ScheduledJobSerializer):
    recent_runs = TaskRunSerializer(many=True, help_text="The latest runs, newest first.")


class ScheduledJobRunSerializer(FleetSerializer):
    name = serializers.CharField()
    task = serializers.CharField()
    task_id = serializers.CharField(help_text="Celery's id of the run; see recent_runs.")
    status_url = serializers.CharField()


class SchedulerStatusSerializer(FleetSerializer):
    timezone = serializers.CharField()
    jobs = ScheduledJobSerializer(many=True)


class ApiResourceSerializer(FleetSerializer):
    name = serializers.CharField(help_text="The path under /api/v1, e.g. ``sims``.")
    url = serializers.URLField()
    methods = serializers.ListField(child=serializers.CharField())
    area = serializers.CharField(help_text="The documentation's tag for it.")


class ApiDocumentationSerializer(FleetSerializer):
    swagger = serializers.URLField()
    redoc = serializers.URLField()
    openapi = serializers.URLField()


class ApiRootSerializer(FleetSerializer):
    name = serializers.CharField()
    version = serializers.CharField()
    documentation = ApiDocumentationSerializer()
    resources = ApiResourceSerializer(many=True)
