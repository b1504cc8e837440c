"""Job serializers (read side) and the query-string inputs shared by several endpoints."""
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from automation.api.filters import as_utc
from automation.api.shared_fields import SharedFields
from automation.models import GenerationJob, JobAttempt


class JobAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobAttempt
        fields = ["attempt_id", "number", "worker", "started_at", "finished_at", "outcome", "error"]


class GenerationJobSerializer(SharedFields, serializers.ModelSerializer):
    """The original TypeScript GenerationJob, plus what a client needs to follow it."""

    per_request_fields = ("url",)  # an absolute URL: built from the request

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


class WaitQuerySerializer(SharedFields, serializers.Serializer):
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


class DateOrDateTimeField(serializers.Field):
    """An ISO date (midnight, server time zone) or date-time."""

    default_error_messages = {"invalid": "Give an ISO date (2026-01-31) or date-time (2026-01-31T12:00:00Z)."}

    def to_internal_value(self, value) -> datetime:
        text = str(value).strip()
        try:
            moment = parse_datetime(text)
            if moment is None and (day := parse_date(text)) is not None:
                moment = datetime.combine(day, time.min)
        except ValueError:
            moment = None
        if moment is None:
            self.fail("invalid")
        try:
            return as_utc(timezone.make_aware(moment) if timezone.is_naive(moment) else moment)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class HistoryDeleteQuerySerializer(serializers.Serializer):
    before = DateOrDateTimeField(required=False, help_text="Delete only entries created before this date or date-time.")
