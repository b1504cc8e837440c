"""Characters (a user's cast) and generated dialogues with their lines."""
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from automation.catalog import archetype_voices, dialogue_catalog

CHARACTER_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
character_id_validator = RegexValidator(
    CHARACTER_ID_PATTERN, "A character id may only contain letters, digits, '_' and '-'."
)


def validate_traits(value) -> None:
    """Known trait names only, each a number from 0.0 to 1.0."""
    if not isinstance(value, dict):
        raise ValidationError("Personality traits must be an object of trait name to a number from 0 to 1.")
    allowed = dialogue_catalog()["traits"]
    for name, score in value.items():
        if name not in allowed:
            raise ValidationError(f'"{name}" is not a personality trait. Allowed traits: {", ".join(allowed)}.')
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ValidationError(f'Trait "{name}" must be a number from 0.0 to 1.0.')


def archetype_choices() -> list[tuple[str, str]]:
    return [(name, voice["label"]) for name, voice in archetype_voices().items()]


def role_choices() -> list[tuple[str, str]]:
    return [(name, role["label"]) for name, role in dialogue_catalog()["roles"].items()]


def dialogue_type_choices() -> list[tuple[str, str]]:
    return [(name, kind["label"]) for name, kind in dialogue_catalog()["dialogue_types"].items()]


def template_choices() -> list[tuple[str, str]]:
    return [(name, template["label"]) for name, template in dialogue_catalog()["templates"].items()]


def language_choices() -> list[tuple[str, str]]:
    return [(code, language["label"]) for code, language in dialogue_catalog()["languages"].items()]


PRONOUN_CHOICES = [("she", "she/her"), ("he", "he/him"), ("they", "they/them")]


def mood_choices() -> list[tuple[str, str]]:
    return [(name, mood["label"]) for name, mood in dialogue_catalog()["moods"].items()]


class Character(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="characters")
    character_id = models.CharField(max_length=64, validators=[character_id_validator])
    name = models.CharField(max_length=100)
    archetype = models.CharField(max_length=32, choices=archetype_choices)
    role = models.CharField(max_length=16, choices=role_choices, default="supporting")
    personality_traits = models.JSONField(default=dict, blank=True, validators=[validate_traits])
    description = models.TextField(blank=True, max_length=2000)
    speech_notes = models.TextField(blank=True, max_length=1000, help_text="How they talk: accent, tics, words they favour.")
    pronouns = models.CharField(
        max_length=8,
        blank=True,
        choices=PRONOUN_CHOICES,
        help_text="What lines agree with (French: prêt / prête); blank: unknown, and lines need no agreement.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["character_id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "character_id"], name="character_id_unique_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.character_id})"


class Dialogue(models.Model):
    scene_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dialogues")
    # One job produces at most one dialogue: the database enforces it.
    job = models.OneToOneField(
        "automation.GenerationJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="dialogue"
    )
    title = models.CharField(max_length=200)
    context = models.JSONField(default=dict, blank=True)
    # The cast as it was when the dialogue was written (characters change or are deleted later).
    characters = models.JSONField(default=list)
    dialogue_type = models.CharField(max_length=16, choices=dialogue_type_choices)
    template = models.CharField(max_length=16, choices=template_choices)
    mood = models.CharField(max_length=16, choices=mood_choices, default="neutral")
    seed = models.BigIntegerField()
    provider = models.CharField(max_length=16)
    language = models.CharField(max_length=8, choices=language_choices, default="en")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="dialogue_owner_recent"),
            models.Index(fields=["owner", "dialogue_type", "-created_at"], name="dialogue_owner_type_recent"),
            models.Index(fields=["owner", "mood", "-created_at"], name="dialogue_owner_mood_recent"),
            models.Index(fields=["created_at"], name="dialogue_created"),
        ]

    def __str__(self) -> str:
        return self.title

    def as_dict(self, lines: list["DialogueLine"] | None = None) -> dict:
        """The dialogue in the original service's JSON shape (the job's result, the API's body).
        `lines`: the lines in order, if the caller has them (a read less)."""
        if lines is None:
            lines = self.lines.all()
        return {
            "scene_id": str(self.scene_id),
            "title": self.title,
            "context": self.context,
            "characters": self.characters,
            "dialogue_type": self.dialogue_type,
            "template": self.template,
            "seed": self.seed,
            "provider": self.provider,
            "language": self.language,
            "job_id": str(self.job_id) if self.job_id else None,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "lines": [line.as_dict() for line in lines],
        }


class DialogueLine(models.Model):
    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveSmallIntegerField()
    # The speaker's row in the owner's cast, if it still exists; the id and name are kept
    # as they were, so the script still reads right after the character is edited or deleted.
    character = models.ForeignKey(Character, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines")
    character_key = models.CharField("character id", max_length=64)
    character_name = models.CharField(max_length=100)
    text = models.TextField()
    emotion = models.CharField(max_length=64, blank=True)
    is_thought = models.BooleanField(default=False)
    gesture = models.CharField(max_length=255, blank=True)
    voice_direction = models.CharField(max_length=255, blank=True)
    beat = models.CharField(max_length=32, blank=True, help_text="The arc's beat: greet, challenge, peak, farewell, …")
    move = models.CharField(max_length=32, blank=True, help_text="What the line does: ask, answer, retort, threaten, …")
    addressee_key = models.CharField(
        "addressee id", max_length=64, blank=True, help_text="The character_id the line is said to; blank for a thought."
    )

    class Meta:
        ordering = ["dialogue", "order"]
        constraints = [models.UniqueConstraint(fields=["dialogue", "order"], name="line_order_unique_per_dialogue")]
        indexes = [models.Index(fields=["character_key", "dialogue"], name="line_character_dialogue")]

    def __str__(self) -> str:
        return f"{self.character_name}: {self.text[:60]}"

    @property
    def line_id(self) -> str:
        return f"line_{self.order:03d}"

    def as_dict(self) -> dict:
        return {
            "line_id": self.line_id,
            "character_id": self.character_key,
            "character_name": self.character_name,
            "dialogue": self.text,
            "emotion": self.emotion,
            "is_thought": self.is_thought,
            "gesture": self.gesture,
            "voice_direction": self.voice_direction,
            "beat": self.beat,
            "move": self.move,
            "addressee": self.addressee_key,
        }
