import json

from django.contrib import admin, messages
from django.utils.html import format_html

from automation import jobs
from automation.models import (
    Character,
    CharacterGrid,
    Dialogue,
    DialogueLine,
    GenerationJob,
    GridPanel,
    JobAttempt,
    PromptEnhancement,
    PromptStyle,
)


def pretty_json(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; max-width: 60em">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


class ReadOnlyAdminMixin:
    """History is written by the job engine, never by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class JobAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = JobAttempt
    extra = 0
    can_delete = False
    fields = ["number", "worker", "started_at", "finished_at", "outcome", "error", "traceback_view"]
    readonly_fields = fields

    @admin.display(description="traceback")
    def traceback_view(self, attempt):
        if not attempt.traceback:
            return "—"
        return format_html("<details><summary>show</summary><pre>{}</pre></details>", attempt.traceback)


@admin.register(GenerationJob)
class GenerationJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job_id", "type", "status", "progress", "retry_count", "max_retries", "owner", "created_at", "short_error"]
    list_filter = ["status", "type", "error_kind", "created_at"]
    search_fields = ["job_id", "owner__username", "error", "idempotency_key"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["retry_selected", "cancel_selected"]
    inlines = [JobAttemptInline]
    fieldsets = [
        (None, {"fields": ["job_id", "type", "status", "progress", "owner"]}),
        ("Request", {"fields": ["params_view", "idempotency_key", "max_retries"]}),
        ("Outcome", {"fields": ["result_view", "error", "error_kind", "retry_count"]}),
        (
            "Timing",
            {"fields": ["created_at", "started_at", "completed_at", "next_attempt_at", "enqueued_at", "lease_expires_at"]},
        ),
    ]
    readonly_fields = [
        "job_id", "type", "status", "progress", "owner", "params_view", "idempotency_key", "max_retries",
        "result_view", "error", "error_kind", "retry_count", "created_at", "started_at", "completed_at",
        "next_attempt_at", "enqueued_at", "lease_expires_at",
    ]  # fmt: skip

    @admin.display(description="params")
    def params_view(self, job):
        return pretty_json(job.params)

    @admin.display(description="result")
    def result_view(self, job):
        return pretty_json(job.result)

    @admin.display(description="error")
    def short_error(self, job):
        return (job.error[:80] + "…") if len(job.error) > 80 else job.error

    @admin.action(description="Retry selected jobs")
    def retry_selected(self, request, queryset):
        retried, skipped = jobs.job_retry_many(jobs=queryset, by=request.user)
        self._report(request, "Retried", len(retried), skipped, "only failed or cancelled jobs can be retried")

    @admin.action(description="Cancel selected jobs")
    def cancel_selected(self, request, queryset):
        cancelled, skipped = jobs.job_cancel_many(jobs=queryset, by=request.user)
        self._report(request, "Cancelled", len(cancelled), skipped, "completed or cancelled jobs cannot be cancelled")

    def _report(self, request, verb: str, changed: int, skipped: int, why: str) -> None:
        message = f"{verb} {changed} job(s)."
        if skipped:
            message += f" Skipped {skipped} job(s): {why}."
        self.message_user(request, message, messages.SUCCESS if changed else messages.WARNING)


@admin.register(PromptEnhancement)
class PromptEnhancementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["original_prompt", "style", "lighting", "mood", "quality", "camera", "variant_count", "owner", "created_at"]
    list_filter = ["style", "lighting", "mood", "quality", "provider", "created_at"]
    search_fields = ["original_prompt", "enhanced_prompt", "owner__username"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    fields = [
        "owner", "job", "created_at", "original_prompt", "enhanced_prompt", "negative_prompt", "style", "lighting",
        "mood", "quality", "camera", "provider", "variant_count", "seed", "result_view",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="result")
    def result_view(self, enhancement):
        return pretty_json(enhancement.result)


@admin.register(PromptStyle)
class PromptStyleAdmin(admin.ModelAdmin):
    """User styles are editable here; the model's clean() applies the same rules as the API."""

    list_display = ["name", "label", "category", "is_global", "owner", "updated_at"]
    list_filter = ["is_global", "category"]
    search_fields = ["name", "label", "description", "owner__username"]
    list_select_related = ["owner"]
    fields = ["name", "label", "category", "description", "template", "negative", "is_global", "owner"]
    raw_id_fields = ["owner"]

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}


class GridPanelInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = GridPanel
    extra = 0
    can_delete = False
    fields = ["thumbnail", "row", "col", "outfit", "pose", "expression", "camera_angle", "seed", "prompt", "negative_prompt"]
    readonly_fields = fields

    @admin.display(description="image")
    def thumbnail(self, panel):
        if not panel.image:
            return "—"
        # The API view serves images to staff (session auth); /media/ is not public.
        return format_html('<a href="{0}"><img src="{0}" alt="panel" style="max-width: 120px"></a>', panel.image_url())


@admin.register(CharacterGrid)
class CharacterGridAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sheet_thumbnail", "character_name", "character_id", "grid_size", "style", "provider", "owner", "created_at"]
    list_display_links = ["character_name"]
    list_filter = ["grid_size", "provider", "style", "created_at"]
    search_fields = ["bundle_id", "character_id", "character_name", "owner__username"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [GridPanelInline]
    fields = [
        "sheet_preview", "bundle_id", "owner", "job", "character_id", "character_name", "character_description",
        "grid_size", "outfits", "poses", "expressions", "camera_angles", "style", "lighting", "mood", "quality",
        "seed", "width", "height", "provider", "created_at",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="sheet")
    def sheet_thumbnail(self, grid):
        return self._image(grid, width=160)

    @admin.display(description="sheet")
    def sheet_preview(self, grid):
        return self._image(grid, width=720)

    def _image(self, grid, *, width: int):
        if not grid.sheet:
            return "—"
        return format_html(
            '<a href="{0}"><img src="{0}" alt="sheet of {1}" style="max-width: {2}px"></a>',
            grid.sheet_url(),
            grid.character_name,
            width,
        )


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ["character_id", "name", "archetype", "role", "pronouns", "owner", "updated_at"]
    list_filter = ["archetype", "role"]
    search_fields = ["character_id", "name", "owner__username"]
    list_select_related = ["owner"]


class DialogueLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DialogueLine
    extra = 0
    can_delete = False
    fields = ["order", "character_name", "addressee_key", "move", "text", "emotion", "is_thought", "gesture", "voice_direction", "beat"]
    readonly_fields = fields


@admin.register(Dialogue)
class DialogueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "dialogue_type", "template", "mood", "language", "provider", "owner", "created_at"]
    list_filter = ["dialogue_type", "template", "mood", "language", "provider", "created_at"]
    search_fields = ["title", "scene_id", "owner__username", "lines__text"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [DialogueLineInline]
    fields = ["scene_id", "title", "owner", "job", "dialogue_type", "template", "mood", "language", "seed", "provider", "context_view", "characters_view", "created_at"]
    readonly_fields = fields

    @admin.display(description="context")
    def context_view(self, dialogue):
        return pretty_json(dialogue.context)

    @admin.display(description="characters")
    def characters_view(self, dialogue):
        return pretty_json(dialogue.characters)

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False
