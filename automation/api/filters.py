import django_filters

from automation.models import GenerationJob


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
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = GenerationJob
        fields = ["status", "type", "created_after", "created_before"]
