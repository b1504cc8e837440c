"""Prompt-enhancement history."""
from django.conf import settings
from django.db import models


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
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="prompt_owner_recent"),
                   models.Index(fields=["created_at"], name="prompt_created")]

    def __str__(self) -> str:
        return self.original_prompt[:60]
