from rest_framework import serializers

from core.models import Job, JobItem


class JobItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobItem
        fields = ["key", "status", "result", "error", "attempts", "updated_at"]


class JobSerializer(serializers.ModelSerializer):
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
