from datetime import timezone

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from automation.models import GenerationJob


def as_utc(moment):
    """A date-time shifted to UTC, or a 400. ISO 8601 and Python allow UTC offsets up to
    ±23:59 but PostgreSQL only up to ±15:59 (a 500 there), and near year 1 or 9999 the shift
    can leave the calendar; comparing in UTC avoids the first and reports the second."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValidationError("This date and time is out of range.", code="invalid") from None


class UTCIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        return None if moment is None else as_utc(moment)


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time filter that compares in UTC (see as_utc)."""

    field_class = UTCIsoDateTimeField


def choice_filter(choices) -> django_filters.MultipleChoiceFilter:
    allowed = ", ".join(value for value, _ in choices)
    # distinct=False: a filter on the job's own column cannot duplicate rows, and the
    # default DISTINCT turned the page count into a scan of every matching row.
    return django_filters.MultipleChoiceFilter(
        choices=choices,
        distinct=False,
        error_messages={"invalid_choice": f"%(value)s is not a valid choice. Allowed values: {allowed}."},
    )


class JobFilter(django_filters.FilterSet):
    status = choice_filter(GenerationJob.Status.choices)
    type = choice_filter(GenerationJob.Type.choices)
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = GenerationJob
        fields = ["status", "type", "created_after", "created_before"]
