"""Prompt enhancement endpoints: enhance, the style catalog, user styles and history."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from automation import prompt_history
from automation.api.fields import AliasedInputMixin, JobOptionsMixin, StrictFieldsMixin, VocabularyField
from automation.api.filters import UTCDateTimeFilter
from automation.api.job_responses import CREATE_JOB_PARAMETERS, create_job_response
from automation.api.schema_enums import TEXT_PROVIDERS
from automation.api.pagination import StandardPagination
from automation.api.serializers import CountSerializer, GenerationJobSerializer, HistoryDeleteQuerySerializer
from automation.catalog import prompt_catalog
from automation.generators.prompt_variants import SEED_MAX, TemplateError, check_template, wildcard_names
from automation.models import PromptEnhancement, PromptStyle
from automation.prompt_styles import style_names_for, styles_for, styles_manageable_by

BASE_PROMPT_MAX = 2000
VARIANTS_MAX = 20
PROVIDERS = TEXT_PROVIDERS


class PromptEnhanceSerializer(AliasedInputMixin, StrictFieldsMixin, JobOptionsMixin):
    input_aliases = {
        "basePrompt": "base_prompt",
        "maxRetries": "max_retries",
        "addNegative": "add_negative",
        "addStyleTags": "add_style_tags",
    }

    base_prompt = serializers.CharField(
        max_length=BASE_PROMPT_MAX,
        trim_whitespace=True,
        help_text="Kept verbatim. May use {a|b|c} alternatives and __wildcard__ files (see prompt/styles).",
    )
    style = VocabularyField(
        choices=list(prompt_catalog()["styles"]),
        default="realistic",
        help_text="A catalog style or one of your styles / a global style (GET prompt/styles).",
    )
    lighting = VocabularyField(choices=list(prompt_catalog()["lighting"]), default="auto", help_text="auto adds no lighting tag.")
    mood = VocabularyField(choices=sorted(prompt_catalog()["moods"]), default="neutral")
    quality = VocabularyField(choices=list(prompt_catalog()["quality"]), default="standard")
    camera = VocabularyField(choices=list(prompt_catalog()["camera"]), required=False, help_text="Camera angle, shot or lens.")
    detail = VocabularyField(
        choices=list(prompt_catalog()["details"]),
        default="standard",
        help_text="How many CLIP tokens the enhancer may add: low 15, standard 30, high 50.",
    )
    model_family = VocabularyField(
        choices=list(prompt_catalog()["model_families"]),
        required=False,
        help_text="sd15 or sdxl: the sizes, steps, cfg and sampler suggested; default STORYCORE_MODEL_FAMILY.",
    )
    orientation = VocabularyField(
        choices=list(prompt_catalog()["orientations"]),
        required=False,
        help_text="square, portrait or landscape; default: what the subject suggests.",
    )
    add_negative = serializers.BooleanField(default=True, help_text="Include the style's and quality's negative prompt.")
    add_style_tags = serializers.BooleanField(default=True, help_text="Wrap the prompt in the style's template.")
    variants = serializers.IntegerField(
        default=1,
        min_value=1,
        max_value=VARIANTS_MAX,
        error_messages={
            "min_value": f"Allowed values: 1 to {VARIANTS_MAX}.",
            "max_value": f"Allowed values: 1 to {VARIANTS_MAX}.",
        },
        help_text="How many expansions of the base prompt to enhance (1-20).",
    )
    seed = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=SEED_MAX,
        help_text="Makes the {a|b} / wildcard choices reproducible; random (and returned) if omitted.",
    )
    provider = VocabularyField(
        choices=PROVIDERS,
        required=False,
        help_text="builtin, or llm to have the configured LLM add details first; default STORYCORE_TEXT_PROVIDER.",
    )

    def get_fields(self):
        fields = super().get_fields()
        # The caller's own and global styles are valid names too, so the choices are per request.
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["style"] = VocabularyField(
                choices=style_names_for(request.user), default="realistic", help_text=fields["style"].help_text
            )
        return fields

    def validate_base_prompt(self, value: str) -> str:
        try:
            check_template(value)
        except TemplateError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


class PromptEnhanceView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "generate"

    @extend_schema(
        tags=["prompt"],
        request=PromptEnhanceSerializer,
        parameters=CREATE_JOB_PARAMETERS,
        responses={200: GenerationJobSerializer, 202: GenerationJobSerializer},
    )
    def post(self, request):
        """Create a prompt-enhancement job."""
        serializer = PromptEnhanceSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        max_retries = params.pop("max_retries", None)
        return create_job_response(request, job_type="prompt", params=params, max_retries=max_retries)


def _vocabulary(kind: str) -> list[dict]:
    return [{"name": name, **entry} for name, entry in prompt_catalog()[kind].items()]


class PromptStylesView(APIView):
    @extend_schema(tags=["prompt"], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """Styles (catalog, then yours and the global ones) with descriptions, lighting,
        moods, camera, quality levels with their generation settings, and wildcards."""
        styles = [style.as_dict() for style in styles_for(request.user)]
        return Response(
            {
                "styles": styles,
                "categories": sorted({style["category"] for style in styles}),
                "lighting": _vocabulary("lighting"),
                "moods": _vocabulary("moods"),
                "camera": _vocabulary("camera"),
                "quality": _vocabulary("quality"),
                "wildcards": wildcard_names(),
            }
        )


# --- User-defined styles ---------------------------------------------------------------------


class PromptStyleSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    source = serializers.CharField(read_only=True)

    class Meta:
        model = PromptStyle
        fields = [
            "id", "name", "label", "category", "description", "template", "negative", "is_global",
            "source", "owner", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "source", "owner", "created_at", "updated_at"]

    def validate_is_global(self, value: bool) -> bool:
        if value and not self.context["request"].user.is_staff:
            raise serializers.ValidationError("Only staff can publish a global style.")
        return value

    def validate(self, attrs):
        # The model owns the cross-row rules (catalog names, clashes); run them here so the
        # API and the admin enforce the same thing.
        instance = self.instance or PromptStyle(owner=self.context["request"].user)
        candidate = PromptStyle(pk=instance.pk, owner_id=instance.owner_id)
        for field in PromptStyle._meta.concrete_fields:
            if field.attname not in ("id", "owner_id"):
                setattr(candidate, field.attname, attrs.get(field.name, getattr(instance, field.attname)))
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(as_serializer_error(exc)) from exc
        return attrs


class CanChangeStyle(BasePermission):
    """Anyone who can see a style may read it; only its owner or staff may change it."""

    def has_object_permission(self, request, view, obj: PromptStyle) -> bool:
        return request.method in SAFE_METHODS or request.user.is_staff or obj.owner_id == request.user.pk


@extend_schema(tags=["prompt"])
class PromptStyleViewSet(viewsets.ModelViewSet):
    """Your prompt styles (private), and global ones published by staff.

    Use a style by its `name` in prompt/enhance. Only its owner or staff can change it."""

    # For the schema generator, which has no user to build the real queryset with.
    queryset = PromptStyle.objects.none()
    permission_classes = [IsAuthenticated, CanChangeStyle]
    serializer_class = PromptStyleSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        return styles_manageable_by(self.request.user).order_by("name", "id")

    def _save(self, serializer, **extra) -> None:
        try:
            with transaction.atomic():
                serializer.save(**extra)
        except IntegrityError:
            # Two requests raced past validation with the same name; the constraint caught it.
            name = serializer.validated_data.get("name", getattr(serializer.instance, "name", ""))
            raise serializers.ValidationError({"name": [f'A style named "{name}" already exists; choose another name.']})

    def perform_create(self, serializer):
        self._save(serializer, owner=self.request.user)

    def perform_update(self, serializer):
        self._save(serializer)



# --- History ---------------------------------------------------------------------------------


class PromptEnhancementSerializer(serializers.ModelSerializer):
    job_id = serializers.UUIDField(source="job.job_id", read_only=True, allow_null=True)

    class Meta:
        model = PromptEnhancement
        fields = [
            "id", "job_id", "original_prompt", "enhanced_prompt", "negative_prompt", "style", "lighting", "mood",
            "quality", "camera", "provider", "variant_count", "seed", "result", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class PromptHistoryFilter(django_filters.FilterSet):
    style = django_filters.CharFilter()
    lighting = django_filters.CharFilter()
    mood = django_filters.CharFilter()
    quality = django_filters.CharFilter()
    q = django_filters.CharFilter(field_name="original_prompt", lookup_expr="icontains", label="Text in the base prompt")
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PromptEnhancement
        fields = ["style", "lighting", "mood", "quality", "q", "created_after", "created_before"]


@extend_schema(tags=["prompt"])
class PromptHistoryView(generics.ListAPIView):
    """Your prompt enhancements, newest first."""

    queryset = PromptEnhancement.objects.none()  # for the schema generator
    serializer_class = PromptEnhancementSerializer
    pagination_class = StandardPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = PromptHistoryFilter

    def get_queryset(self):
        return prompt_history.prompt_history_for(self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("before", OpenApiTypes.DATETIME, description="Only entries created before this.")],
        responses={200: CountSerializer},
    )
    def delete(self, request):
        """Delete your prompt history (optionally only entries older than ?before=); returns the count."""
        query = HistoryDeleteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        count = prompt_history.prompt_history_delete(owner=request.user, before=query.validated_data.get("before"))
        return Response({"count": count})
