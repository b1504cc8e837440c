"""Character grid endpoints: create a grid job, read grids, serve their images."""
from django.conf import settings
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from automation.api.fields import AliasedInputMixin, JobOptionsMixin, StrictFieldsMixin, VocabularyField
from automation.api.job_responses import CREATE_JOB_PARAMETERS, create_job_response
from automation.api.serializers import GenerationJobSerializer
from automation.api.shared_fields import SharedFields
from automation.catalog import grid_catalog, prompt_catalog
from automation.generators.grid import PROVIDERS, grid_as_dict
from automation.generators.prompt import image_size
from automation.models import CharacterGrid, GridPanel

CHARACTER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
SEED_MAX = 2**31 - 1
DIMENSION_MIN, DIMENSION_MAX = 64, 2048


def grids_visible_to(user):
    """Staff see every grid; anyone else only their own (others' are a 404)."""
    grids = CharacterGrid.objects.select_related("owner")
    return grids if user.is_staff else grids.filter(owner=user)


def vocabulary_list(name: str, *, label: str):
    """A non-empty list of distinct values from one grid vocabulary."""
    values = sorted(grid_catalog()[name])
    return serializers.ListField(
        child=VocabularyField(choices=values),
        min_length=1,
        max_length=len(values),
        required=False,
        help_text=f"{label}; default {grid_catalog()['defaults'][name]}.",
    )


class GridGenerateSerializer(SharedFields, AliasedInputMixin, StrictFieldsMixin, JobOptionsMixin):
    input_aliases = {
        "characterId": "character_id",
        "characterName": "character_name",
        "characterDescription": "character_description",
        "gridSize": "grid_size",
        "cameraAngles": "camera_angles",
        "maxRetries": "max_retries",
    }

    character_id = serializers.RegexField(
        CHARACTER_ID_PATTERN,
        max_length=64,
        error_messages={"invalid": "Use 1-64 letters, digits, '_' or '-'."},
    )
    character_name = serializers.CharField(max_length=100, required=False, trim_whitespace=True)
    character_description = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    grid_size = VocabularyField(choices=list(grid_catalog()["sizes"]), default=grid_catalog()["defaults"]["grid_size"])
    outfits = vocabulary_list("outfits", label="Outfits to spread over the panels")
    poses = vocabulary_list("poses", label="Poses to spread over the panels")
    expressions = vocabulary_list("expressions", label="Expressions to spread over the panels")
    camera_angles = vocabulary_list("camera_angles", label="Camera angles to spread over the panels")
    style = VocabularyField(choices=sorted(prompt_catalog()["styles"]), default=grid_catalog()["defaults"]["style"])
    lighting = VocabularyField(choices=sorted(prompt_catalog()["lighting"]), default=grid_catalog()["defaults"]["lighting"])
    mood = VocabularyField(choices=sorted(prompt_catalog()["moods"]), default=grid_catalog()["defaults"]["mood"])
    quality = VocabularyField(choices=sorted(prompt_catalog()["quality"]), default=grid_catalog()["defaults"]["quality"])
    seed = serializers.IntegerField(
        min_value=0, max_value=SEED_MAX, required=False, allow_null=True,
        help_text="Same seed, same plan and images; derived from the job id if omitted.",
    )
    width = serializers.IntegerField(
        min_value=DIMENSION_MIN, max_value=DIMENSION_MAX, required=False,
        help_text="Panel width for the image provider (multiple of 8); default from the quality level.",
    )  # fmt: skip
    height = serializers.IntegerField(
        min_value=DIMENSION_MIN, max_value=DIMENSION_MAX, required=False,
        help_text="Panel height for the image provider (multiple of 8); default from the quality level.",
    )  # fmt: skip
    provider = VocabularyField(
        choices=list(PROVIDERS), required=False, help_text="Image provider; default STORYCORE_IMAGE_PROVIDER."
    )

    def validate_character_name(self, value: str) -> str:
        if not value:
            raise serializers.ValidationError("Must not be blank.")
        return value

    def _validate_distinct(self, value: list[str]) -> list[str]:
        repeated = sorted({item for item in value if value.count(item) > 1})
        if repeated:
            raise serializers.ValidationError(f"Listed more than once: {', '.join(repeated)}.")
        return value

    validate_outfits = validate_poses = validate_expressions = validate_camera_angles = _validate_distinct

    def _validate_dimension(self, value: int) -> int:
        if value % 8:
            raise serializers.ValidationError("Must be a multiple of 8 (Stable Diffusion latents are 1/8 scale).")
        return value

    validate_width = validate_height = _validate_dimension

    def validate(self, attrs):
        defaults = grid_catalog()["defaults"]
        for name in ("outfits", "poses", "expressions", "camera_angles"):
            attrs.setdefault(name, list(defaults[name]))
        attrs.setdefault("character_name", attrs["character_id"])
        width, height = image_size(quality=attrs["quality"], orientation="square")
        attrs.setdefault("width", width)
        attrs.setdefault("height", height)
        if attrs.get("seed") is None:
            attrs.pop("seed", None)
        # No default seed or provider here: a seed picked at random would make a replayed
        # Idempotency-Key request look different. The job derives both when it runs.
        return attrs


class GridGenerateView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "generate"

    @extend_schema(
        tags=["character grid"],
        request=GridGenerateSerializer,
        parameters=CREATE_JOB_PARAMETERS,
        responses={200: GenerationJobSerializer, 202: GenerationJobSerializer},
    )
    def post(self, request):
        """Create a character grid job; its result is the grid with its image URLs."""
        serializer = GridGenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        max_retries = params.pop("max_retries", None)
        return create_job_response(request, job_type="grid", params=params, max_retries=max_retries)


class GridSummarySerializer(serializers.ModelSerializer):
    total_panels = serializers.IntegerField(read_only=True)
    sheet_url = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="automation-api:grid-detail", lookup_field="bundle_id")
    job_id = serializers.UUIDField(source="job.job_id", read_only=True, allow_null=True, default=None)

    class Meta:
        model = CharacterGrid
        fields = [
            "bundle_id", "character_id", "character_name", "grid_size", "total_panels", "style", "lighting",
            "seed", "provider", "sheet_url", "url", "job_id", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_sheet_url(self, grid) -> str:
        return self.context["request"].build_absolute_uri(grid.sheet_url())


class GridListView(generics.ListAPIView):
    serializer_class = GridSummarySerializer

    @extend_schema(tags=["character grid"])
    def get(self, request, *args, **kwargs):
        """The caller's grids (every grid for staff), newest first."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return grids_visible_to(self.request.user).select_related("job").order_by("-created_at")


class GridDetailView(APIView):
    @extend_schema(tags=["character grid"], responses=OpenApiTypes.OBJECT)
    def get(self, request, bundle_id):
        """One grid with its panels, prompts and image URLs."""
        grid = _grid_or_404(request, bundle_id)
        return Response(grid_as_dict(grid, list(grid.panels.all()), absolute=request.build_absolute_uri))


PNG_RESPONSE = {(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The PNG image.")}


class GridSheetView(APIView):
    @extend_schema(tags=["character grid"], responses=PNG_RESPONSE)
    def get(self, request, bundle_id):
        """The grid's sheet image (owner or staff only)."""
        return _png(_grid_or_404(request, bundle_id).sheet)


class GridPanelImageView(APIView):
    @extend_schema(tags=["character grid"], responses=PNG_RESPONSE)
    def get(self, request, bundle_id, panel_id):
        """One panel's image (owner or staff only)."""
        grid = _grid_or_404(request, bundle_id)
        panel = GridPanel.objects.filter(grid=grid, panel_id=panel_id).first()
        if panel is None:
            raise Http404
        return _png(panel.image)


class GridOptionsView(APIView):
    @extend_schema(tags=["character grid"], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """Everything a grid request may name: sizes, vocabularies, styles, providers."""
        catalog, prompts = grid_catalog(), prompt_catalog()

        def entries(vocabulary: dict) -> list[dict]:
            return [{"name": name, "label": v["label"], "prompt": v["prompt"]} for name, v in vocabulary.items()]

        return Response(
            {
                "grid_sizes": [
                    {"name": name, "label": v["label"], "rows": v["rows"], "cols": v["cols"]}
                    for name, v in catalog["sizes"].items()
                ],
                "outfits": entries(catalog["outfits"]),
                "poses": entries(catalog["poses"]),
                "expressions": entries(catalog["expressions"]),
                "camera_angles": entries(catalog["camera_angles"]),
                "styles": [
                    {"name": name, "label": v["label"], "description": v.get("description", "")}
                    for name, v in prompts["styles"].items()
                ],
                "lighting": [{"name": name, "label": v["label"]} for name, v in prompts["lighting"].items()],
                "moods": [{"name": name, "label": v["label"]} for name, v in prompts["moods"].items()],
                "quality": [{"name": name, "label": v["label"]} for name, v in prompts["quality"].items()],
                "providers": [
                    {"name": name, "default": name == settings.STORYCORE_IMAGE_PROVIDER} for name in PROVIDERS
                ],
                "defaults": catalog["defaults"],
            }
        )


def _grid_or_404(request, bundle_id) -> CharacterGrid:
    grid = grids_visible_to(request.user).filter(bundle_id=bundle_id).first()
    if grid is None:
        raise Http404
    return grid


def _png(field_file) -> FileResponse:
    # Served through this view (not /media/) so only the owner or staff can see it.
    if not field_file or not field_file.storage.exists(field_file.name):
        raise Http404
    return FileResponse(field_file.storage.open(field_file.name, "rb"), content_type="image/png")
