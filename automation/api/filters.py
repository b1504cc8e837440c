import django_filters

from automation.models import GenerationJob


class JobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=GenerationJob.Status.choices)
    type = django_filters.MultipleChoiceFilter(choices=GenerationJob.Type.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = GenerationJob
        fields = ["status", "type", "created_after", "created_before"]
