"""Prompt enhancement endpoints."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from automation.api.fields import AliasedInputMixin, JobOptionsMixin, StrictFieldsMixin, VocabularyField
from automation.api.job_responses import CREATE_JOB_PARAMETERS, create_job_response
from automation.api.serializers import GenerationJobSerializer
from automation.catalog import prompt_catalog

BASE_PROMPT_MAX = 2000


class PromptEnhanceSerializer(AliasedInputMixin, StrictFieldsMixin, JobOptionsMixin):
    input_aliases = {"basePrompt": "base_prompt", "maxRetries": "max_retries"}

    base_prompt = serializers.CharField(max_length=BASE_PROMPT_MAX, trim_whitespace=True)
    style = VocabularyField(choices=sorted(prompt_catalog()["styles"]), default="realistic")
    lighting = VocabularyField(choices=sorted(prompt_catalog()["lighting"]), default="natural")
    mood = VocabularyField(choices=sorted(prompt_catalog()["moods"]), default="neutral")
    quality = VocabularyField(choices=sorted(prompt_catalog()["quality"]), default="standard")


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
        serializer = PromptEnhanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        max_retries = params.pop("max_retries", None)
        return create_job_response(request, job_type="prompt", params=params, max_retries=max_retries)


class PromptStylesView(APIView):
    @extend_schema(tags=["prompt"], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """Styles (with descriptions), lighting, moods and quality levels."""
        catalog = prompt_catalog()
        return Response(
            {
                "styles": [
                    {"name": name, "label": s["label"], "category": s["category"], "description": s["description"]}
                    for name, s in catalog["styles"].items()
                ],
                "lighting": [{"name": name, "label": v["label"], "tags": v["tags"]} for name, v in catalog["lighting"].items()],
                "moods": [{"name": name, "label": v["label"], "tags": v["tags"]} for name, v in catalog["moods"].items()],
                "quality": [
                    {"name": name, "label": v["label"], "tags": v["tags"], "settings": v["settings"]}
                    for name, v in catalog["quality"].items()
                ],
            }
        )
