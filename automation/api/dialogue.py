"""Dialogue endpoints: generate (a job), history (list, filter, delete) and one scene."""
import django_filters
from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from automation.api.characters import (
    CHARACTER_ID_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    SPEECH_NOTES_MAX,
    validate_personality_traits,
)
from automation.api.fields import AliasedInputMixin, JobOptionsMixin, StrictFieldsMixin, VocabularyField
from automation.api.filters import UTCDateTimeFilter
from automation.api.job_responses import CREATE_JOB_PARAMETERS, create_job_response, validate_job_options
from automation.api.schema_enums import TEXT_PROVIDERS
from automation.api.serializers import CountSerializer, GenerationJobSerializer, HistoryDeleteQuerySerializer
from automation.api.shared_fields import SharedFields
from automation.catalog import archetype_voices, dialogue_catalog
from automation.characters import cast_snapshots, character_upsert
from automation.generators.dialogue import SEED_MAX
from automation.models import Dialogue, DialogueLine
from automation.models.dialogue import PRONOUN_CHOICES, character_id_validator

CONTEXT_TEXT_MAX = 200
TITLE_MAX = 200
MIN_CHARACTERS, MAX_CHARACTERS = 2, 8
MAX_LINES = 100
PROVIDERS = TEXT_PROVIDERS
LANGUAGES = list(dialogue_catalog()["languages"])
PRONOUNS = [code for code, _ in PRONOUN_CHOICES]
NEW_CHARACTER_DEFAULTS = {"role": "supporting", "personality_traits": {}, "description": "", "speech_notes": "", "pronouns": ""}


def allowed(values) -> str:
    return ", ".join(values)


class CharacterInputSerializer(AliasedInputMixin, StrictFieldsMixin, serializers.Serializer):
    """A character in a generate request: a new one in full, or one of the caller's by id
    (the fields given then override the stored ones, and are saved)."""

    input_aliases = {"characterId": "character_id", "personalityTraits": "personality_traits", "speechNotes": "speech_notes"}

    character_id = serializers.CharField(max_length=CHARACTER_ID_MAX, validators=[character_id_validator])
    name = serializers.CharField(max_length=NAME_MAX, required=False)
    archetype = VocabularyField(choices=list(archetype_voices()), required=False)
    role = VocabularyField(choices=list(dialogue_catalog()["roles"]), required=False)
    personality_traits = serializers.JSONField(required=False, validators=[validate_personality_traits])
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)
    speech_notes = serializers.CharField(max_length=SPEECH_NOTES_MAX, required=False, allow_blank=True)
    pronouns = VocabularyField(
        choices=PRONOUNS, required=False, allow_blank=True, help_text="she, he or they; French lines agree with it."
    )


class ContextSerializer(AliasedInputMixin, StrictFieldsMixin, serializers.Serializer):
    input_aliases = {"timeOfDay": "time_of_day"}

    location = serializers.CharField(max_length=CONTEXT_TEXT_MAX, required=False, allow_blank=True)
    time_of_day = serializers.CharField(max_length=CONTEXT_TEXT_MAX, required=False, allow_blank=True)
    situation = serializers.CharField(max_length=CONTEXT_TEXT_MAX, required=False, allow_blank=True)
    weather = serializers.CharField(max_length=CONTEXT_TEXT_MAX, required=False, allow_blank=True)
    mood = VocabularyField(choices=list(dialogue_catalog()["moods"]), required=False)


class DialogueGenerateSerializer(SharedFields, AliasedInputMixin, StrictFieldsMixin, JobOptionsMixin):
    input_aliases = {"dialogueType": "dialogue_type", "numLines": "num_lines", "maxRetries": "max_retries"}

    characters = CharacterInputSerializer(many=True, help_text="2 to 8 characters (exactly 1 for a monologue).")
    context = ContextSerializer(required=False)
    dialogue_type = VocabularyField(choices=list(dialogue_catalog()["dialogue_types"]), default="conversation")
    template = VocabularyField(choices=list(dialogue_catalog()["templates"]), default="linear")
    num_lines = serializers.IntegerField(min_value=1, max_value=MAX_LINES, default=10)
    title = serializers.CharField(max_length=TITLE_MAX, required=False, allow_blank=True)
    seed = serializers.IntegerField(
        min_value=0, max_value=SEED_MAX, required=False, help_text="Same seed, same request: same dialogue (builtin)."
    )
    provider = VocabularyField(
        choices=PROVIDERS, required=False, help_text="Text provider for this request; default from STORYCORE_TEXT_PROVIDER."
    )
    language = VocabularyField(
        choices=LANGUAGES, required=False, help_text="Language of the lines; default from STORYCORE_DEFAULT_LANGUAGE."
    )

    def validate(self, data):
        characters = data["characters"]
        if data["dialogue_type"] == "monologue":
            if len(characters) != 1:
                raise serializers.ValidationError(
                    {"characters": [f"A monologue has exactly 1 character; got {len(characters)}."]}
                )
        elif not MIN_CHARACTERS <= len(characters) <= MAX_CHARACTERS:
            raise serializers.ValidationError(
                {
                    "characters": [
                        f"A {data['dialogue_type']} needs {MIN_CHARACTERS} to {MAX_CHARACTERS} characters "
                        f"(exactly 1 for dialogue_type monologue); got {len(characters)}."
                    ]
                }
            )
        ids = [character["character_id"] for character in characters]
        duplicates = sorted({cid for cid in ids if ids.count(cid) > 1})
        if duplicates:
            raise serializers.ValidationError(
                {"characters": [f"Duplicate character_id: {', '.join(duplicates)}. Each character appears once."]}
            )
        stored = cast_snapshots(owner=self.context["request"].user, character_ids=ids)
        resolved = []
        for given in characters:
            known = stored.get(given["character_id"])
            base = known or NEW_CHARACTER_DEFAULTS
            merged = {**base, **given}
            missing = [field for field in ("name", "archetype") if not merged.get(field)]
            if missing:
                raise serializers.ValidationError(
                    {
                        "characters": [
                            f"Character {given['character_id']!r} is not one of your characters: give its "
                            f"{' and '.join(missing)}. Allowed archetypes: {allowed(archetype_voices())}."
                        ]
                    }
                )
            resolved.append(merged)
        data["resolved_characters"] = resolved
        data["stored_characters"] = stored
        return data

    def job_params(self) -> dict:
        data = dict(self.validated_data)
        params = {
            "characters": data["resolved_characters"],
            "context": {key: value for key, value in (data.get("context") or {}).items() if value != ""},
            "dialogue_type": data["dialogue_type"],
            "template": data["template"],
            "num_lines": data["num_lines"],
        }
        params["context"].setdefault("mood", "neutral")
        params["language"] = data.get("language") or settings.STORYCORE_DEFAULT_LANGUAGE
        for optional in ("title", "seed", "provider"):
            if data.get(optional) not in (None, ""):
                params[optional] = data[optional]
        return params


class DialogueLineSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    character_id = serializers.CharField()
    character_name = serializers.CharField()
    dialogue = serializers.CharField()
    emotion = serializers.CharField()
    is_thought = serializers.BooleanField()
    gesture = serializers.CharField()
    voice_direction = serializers.CharField()
    beat = serializers.CharField()
    move = serializers.CharField(help_text="What the line does: ask, answer, retort, threaten, …")
    addressee = serializers.CharField(help_text="The character_id the line is said to; blank for a thought or a monologue.")


class DialogueSerializer(serializers.Serializer):
    """The original service's dialogue shape; Dialogue.as_dict is the one source of it."""

    scene_id = serializers.UUIDField()
    title = serializers.CharField()
    context = serializers.JSONField()
    characters = serializers.JSONField()
    dialogue_type = serializers.CharField()
    template = serializers.CharField()
    seed = serializers.IntegerField()
    provider = serializers.CharField()
    language = serializers.CharField()
    job_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    lines = DialogueLineSerializer(many=True)

    def to_representation(self, instance):
        return instance.as_dict()


def choice_error(values) -> dict[str, str]:
    return {"invalid_choice": f'"%(value)s" is not a valid choice. Allowed values: {allowed(values)}.'}


class DialogueFilter(django_filters.FilterSet):
    character = django_filters.CharFilter(
        method="filter_character", validators=[character_id_validator], help_text="A character_id that speaks in it."
    )
    dialogue_type = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dialogue_catalog()["dialogue_types"]],
        error_messages=choice_error(dialogue_catalog()["dialogue_types"]),
    )
    mood = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dialogue_catalog()["moods"]], error_messages=choice_error(dialogue_catalog()["moods"])
    )
    language = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dialogue_catalog()["languages"]], error_messages=choice_error(dialogue_catalog()["languages"])
    )
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search", max_length=200, help_text="Text in the title or any line.")

    class Meta:
        model = Dialogue
        fields = ["character", "dialogue_type", "mood", "language", "created_after", "created_before", "q"]

    def filter_character(self, queryset, name, value):
        speaks = DialogueLine.objects.filter(dialogue=OuterRef("pk"), character_key=value)
        return queryset.filter(Exists(speaks))

    def search(self, queryset, name, value):
        said = DialogueLine.objects.filter(dialogue=OuterRef("pk"), text__icontains=value)
        return queryset.filter(Q(title__icontains=value) | Exists(said))


def dialogues_visible_to(user):
    """Staff see every dialogue; anyone else only their own (others' are a 404)."""
    # Lines ordered by their own columns: the model's default ("dialogue", "order") follows
    # the dialogue's ordering, which joins the dialogue table and sorts every line of the page.
    lines = Prefetch("lines", queryset=DialogueLine.objects.order_by("dialogue_id", "order"))
    dialogues = Dialogue.objects.prefetch_related(lines)
    if not user.is_authenticated:  # only drf-spectacular's schema pass gets here
        return dialogues.none()
    return dialogues if user.is_staff else dialogues.filter(owner=user)


class DialogueGenerateView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "generate"

    @extend_schema(
        tags=["dialogue"],
        request=DialogueGenerateSerializer,
        parameters=CREATE_JOB_PARAMETERS,
        responses={200: GenerationJobSerializer, 202: GenerationJobSerializer},
    )
    def post(self, request):
        """Create a dialogue job; characters given in full are saved to (or update) your characters."""
        serializer = DialogueGenerateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        options = validate_job_options(request)  # before the characters are saved: a 400 stores nothing
        params = serializer.job_params()
        stored = serializer.validated_data["stored_characters"]
        for given in serializer.validated_data["characters"]:
            if len(given) > 1:  # more than an id: create it or save the changes
                character_upsert(owner=request.user, data=given, current=stored.get(given["character_id"]))
        return create_job_response(
            request,
            job_type="dialogue",
            params=params,
            max_retries=serializer.validated_data.get("max_retries"),
            options=options,
        )


@extend_schema(tags=["dialogue"])
class DialogueHistoryView(generics.ListAPIView):
    serializer_class = DialogueSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DialogueFilter

    def get_queryset(self):
        return dialogues_visible_to(self.request.user).order_by("-created_at", "-pk")

    def get(self, request, *args, **kwargs):
        """Your dialogues, newest first, paginated; filter by character, type, mood, dates, text."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("before", OpenApiTypes.DATETIME, description="Only dialogues created before this.")],
        responses={200: CountSerializer},
    )
    def delete(self, request):
        """Delete your dialogue history (all of it, or what is older than ?before=); returns the count."""
        query = HistoryDeleteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        mine = Dialogue.objects.filter(owner=request.user)
        if "before" in query.validated_data:
            mine = mine.filter(created_at__lt=query.validated_data["before"])
        _, per_model = mine.delete()
        return Response({"count": per_model.get(Dialogue._meta.label, 0)})


@extend_schema(tags=["dialogue"])
class DialogueDetailView(generics.RetrieveAPIView):
    serializer_class = DialogueSerializer
    lookup_field = "scene_id"

    def get_queryset(self):
        return dialogues_visible_to(self.request.user)

    def get(self, request, *args, **kwargs):
        """One dialogue (scene) with its lines."""
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["dialogue"])
class DialogueOptionsView(APIView):
    """Everything a dialogue request may name, for forms and clients."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        catalog, voices = dialogue_catalog(), archetype_voices()
        known = catalog["known_context"]
        return Response(
            {
                "archetypes": [
                    {"name": name, "label": voice["label"], "summary": voice["summary"]} for name, voice in voices.items()
                ],
                "roles": list(catalog["roles"]),
                "personality_traits": list(catalog["traits"]),
                "dialogue_types": list(catalog["dialogue_types"]),
                "templates": list(catalog["templates"]),
                "moods": list(catalog["moods"]),
                # Free text in a request; these are values the built-in writer knows in both languages.
                "times_of_day": known["time_of_day"],
                "weather": known["weather"],
                "situations": known["situation"],
                "languages": [
                    {"code": code, "label": language["label"], "default": code == settings.STORYCORE_DEFAULT_LANGUAGE}
                    for code, language in catalog["languages"].items()
                ],
                "pronouns": PRONOUNS,
                "moves": list(catalog["moves"]),
                "providers": [
                    {"name": name, "default": name == settings.STORYCORE_TEXT_PROVIDER} for name in PROVIDERS
                ],
                "limits": {"characters": [MIN_CHARACTERS, MAX_CHARACTERS], "num_lines": [1, MAX_LINES]},
            }
        )

