"""The caller's characters: list, create, retrieve, update, delete, looked up by character_id."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from automation.api.fields import AliasedInputMixin, StrictFieldsMixin, VocabularyField
from automation.catalog import archetype_voices, dialogue_catalog
from automation.models import Character
from automation.models.dialogue import CHARACTER_ID_PATTERN, PRONOUN_CHOICES, character_id_validator

CHARACTER_ID_MAX = 64
NAME_MAX = 100
DESCRIPTION_MAX = 2000
SPEECH_NOTES_MAX = 1000


def validate_personality_traits(value) -> None:
    """Known trait names only, each a number from 0.0 to 1.0; the error lists the traits."""
    traits = dialogue_catalog()["traits"]
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected an object of trait name to a number from 0.0 to 1.0.")
    for name, score in value.items():
        if name not in traits:
            raise serializers.ValidationError(f'"{name}" is not a personality trait. Allowed traits: {", ".join(traits)}.')
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise serializers.ValidationError(f'Trait "{name}" must be a number from 0.0 to 1.0.')


class CharacterSerializer(AliasedInputMixin, StrictFieldsMixin, serializers.ModelSerializer):
    input_aliases = {"characterId": "character_id", "personalityTraits": "personality_traits", "speechNotes": "speech_notes"}

    character_id = serializers.CharField(max_length=CHARACTER_ID_MAX, validators=[character_id_validator])
    name = serializers.CharField(max_length=NAME_MAX)
    archetype = VocabularyField(choices=list(archetype_voices()))
    role = VocabularyField(choices=list(dialogue_catalog()["roles"]), default="supporting")
    personality_traits = serializers.JSONField(required=False, validators=[validate_personality_traits])
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)
    speech_notes = serializers.CharField(max_length=SPEECH_NOTES_MAX, required=False, allow_blank=True)
    pronouns = VocabularyField(
        choices=[code for code, _ in PRONOUN_CHOICES],
        required=False,
        allow_blank=True,
        help_text="she, he or they; French lines agree with it (blank: unknown, lines need no agreement).",
    )

    class Meta:
        model = Character
        fields = [
            "character_id", "name", "archetype", "role", "personality_traits", "description", "speech_notes",
            "pronouns", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def validate_character_id(self, value):
        owner = self.context["request"].user
        if self.instance is not None:
            if value != self.instance.character_id:
                raise serializers.ValidationError("A character's id cannot be changed; create a new character instead.")
            return value
        if Character.objects.filter(owner=owner, character_id=value).exists():
            raise serializers.ValidationError(f"You already have a character {value!r}; update it with PUT or PATCH.")
        return value


@extend_schema(tags=["characters"])
class CharacterViewSet(viewsets.ModelViewSet):
    """Your characters. Staff manage other users' characters in the admin: ids are only
    unique per user, so this API is always the caller's own cast."""

    serializer_class = CharacterSerializer
    lookup_field = "character_id"
    lookup_value_regex = CHARACTER_ID_PATTERN.strip("^$")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Character.objects.none()
        return Character.objects.filter(owner=self.request.user).order_by("character_id")

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)
