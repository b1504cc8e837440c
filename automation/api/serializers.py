"""Job serializers (read side) and the query-string inputs of the job endpoints."""
from django.conf import settings
from rest_framework import serializers

from automation.models import GenerationJob, JobAttempt


class JobAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobAttempt
        fields = ["attempt_id", "number", "worker", "started_at", "finished_at", "outcome", "error"]


class GenerationJobSerializer(serializers.ModelSerializer):
    """The original TypeScript GenerationJob, plus what a client needs to follow it."""

    owner = serializers.CharField(source="owner.username", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="automation-api:job-detail", lookup_field="job_id")

    class Meta:
        model = GenerationJob
        fields = [
            "job_id",
            "type",
            "status",
            "params",
            "result",
            "error",
            "error_kind",
            "retry_count",
            "max_retries",
            "created_at",
            "started_at",
            "completed_at",
            "progress",
            "next_attempt_at",
            "owner",
            "url",
        ]
        read_only_fields = fields


class GenerationJobDetailSerializer(GenerationJobSerializer):
    attempts = JobAttemptSerializer(many=True, read_only=True)

    class Meta(GenerationJobSerializer.Meta):
        fields = GenerationJobSerializer.Meta.fields + ["attempts"]
        read_only_fields = fields


class WaitQuerySerializer(serializers.Serializer):
    wait = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=settings.STORYCORE_MAX_WAIT,
        help_text=f"Seconds to wait for the job to finish (at most {settings.STORYCORE_MAX_WAIT}).",
    )


class RetryQueueProcessSerializer(serializers.Serializer):
    retried = GenerationJobSerializer(many=True)
    count = serializers.IntegerField()


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
