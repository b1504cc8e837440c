"""Prompt enhancement: user-defined styles and the history of enhancements."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

STYLE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*\Z"
PROMPT_PLACEHOLDER = "{prompt}"


def validate_style_template(template: str) -> None:
    count = template.count(PROMPT_PLACEHOLDER)
    if count != 1:
        found = "does not contain it" if count == 0 else f"contains it {count} times"
        raise ValidationError(
            f"The template must contain {PROMPT_PLACEHOLDER} exactly once (it {found}); "
            f"it marks where the base prompt goes, e.g. \"oil painting, {PROMPT_PLACEHOLDER}, rich colors\".",
            code="placeholder",
        )


class PromptStyle(models.Model):
    """A style added by a user (private to them) or published by staff for everyone
    (`is_global`). Used by name in prompt/enhance exactly like a catalog style."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prompt_styles")
    name = models.CharField(
        max_length=64,
        validators=[RegexValidator(STYLE_NAME_PATTERN, "Use lowercase letters, digits, '_' and '-' (a slug).")],
        help_text="Slug used in requests (style=...). Cannot reuse a catalog style's name.",
    )
    label = models.CharField(max_length=100)
    category = models.CharField(max_length=50, default="custom")
    description = models.CharField(max_length=200, blank=True, help_text="One line.")
    template = models.TextField(max_length=1000, validators=[validate_style_template], help_text="Must contain {prompt} once.")
    negative = models.TextField(max_length=1000, blank=True)
    is_global = models.BooleanField(default=False, help_text="Published to every user (staff only).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="prompt_style_unique_per_owner"),
            models.UniqueConstraint(fields=["name"], condition=Q(is_global=True), name="prompt_style_unique_global"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        return "global" if self.is_global else "custom"

    def clean(self) -> None:
        from automation.catalog import prompt_catalog

        if "\n" in self.description:
            raise ValidationError({"description": "Keep the description to one line."})
        if self.name in prompt_catalog()["styles"]:
            raise ValidationError({"name": f'"{self.name}" is a catalog style; choose another name.'})
        others = PromptStyle.objects.filter(name=self.name).exclude(pk=self.pk)
        # A name must mean one style for everyone who can see it: a global style's name is
        # taken for all users, and a private name may not shadow a global one.
        clash = others if self.is_global else others.filter(Q(is_global=True) | Q(owner_id=self.owner_id))
        if self.owner_id and clash.exists():
            raise ValidationError({"name": f'A style named "{self.name}" already exists; choose another name.'})


class PromptEnhancement(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prompt_enhancements")
    # One job produces at most one enhancement: the database enforces it.
    job = models.OneToOneField(
        "automation.GenerationJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="prompt_enhancement"
    )
    original_prompt = models.TextField()
    enhanced_prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    style = models.CharField(max_length=64)
    lighting = models.CharField(max_length=64)
    mood = models.CharField(max_length=64)
    quality = models.CharField(max_length=64)
    camera = models.CharField(max_length=64, blank=True)
    provider = models.CharField(max_length=16, default="builtin")
    variant_count = models.PositiveSmallIntegerField(default=1)
    seed = models.BigIntegerField(null=True, blank=True)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="prompt_owner_recent"),
                   models.Index(fields=["created_at"], name="prompt_created")]

    def __str__(self) -> str:
        return self.original_prompt[:60]
