"""Prompt enhancement: base prompt + style, lighting, mood, camera and quality -> an
enhanced prompt and a negative prompt for ComfyUI / Stable Diffusion, with variants."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import SimpleLazyObject

from automation.catalog import prompt_catalog
from automation.exceptions import PermanentError
from automation.generators import Generator, JobContext, register, runs_text_in_process, text_provider
from automation.generators.prompt_tags import keys, split_tags, unique
from automation.generators.prompt_variants import SEED_MAX, TemplateError, expand, new_seed
from automation.models.prompts import PROMPT_PLACEHOLDER
from automation.providers import llm

MAX_DETAILS = 8
DETAIL_MAX = 80  # characters per detail


def _vocabulary_entry(kind: str, name: str) -> dict[str, Any]:
    vocabulary = prompt_catalog()[kind]
    try:
        return vocabulary[name]
    except KeyError:
        raise PermanentError(f'Unknown {kind} "{name}". Allowed values: {", ".join(vocabulary)}.') from None


def _style_parts(template: str, base_prompt: str) -> tuple[list[str], str, list[str]]:
    """The style's tags before the base prompt, the segment holding it, the tags after.

    The segment with {prompt} is kept whole, so a template such as "a photo of {prompt},
    35mm" gives "a photo of <base prompt>" rather than splitting the base prompt off."""
    segments = split_tags(template)
    at = next(i for i, segment in enumerate(segments) if PROMPT_PLACEHOLDER in segment)
    return segments[:at], segments[at].replace(PROMPT_PLACEHOLDER, base_prompt), segments[at + 1 :]


def enhance(
    *,
    base_prompt: str,
    style: str,
    lighting: str,
    mood: str,
    quality: str,
    camera: str | None = None,
    add_negative: bool = True,
    add_style_tags: bool = True,
    owner=None,
    details: list[str] = (),
) -> dict[str, Any]:
    """Enhance one base prompt (taken verbatim; no {a|b} expansion here).

    `style` may name a user style visible to `owner`. Added tags are deduplicated in a
    stable order against each other and against the base prompt's own tags; an unknown
    name raises PermanentError listing the allowed values."""
    from automation.prompt_styles import find_style, style_names_for

    style_def = find_style(name=style, owner=owner)
    if style_def is None:
        allowed = style_names_for(owner) if owner is not None else list(prompt_catalog()["styles"])
        raise PermanentError(f'Unknown style "{style}". Allowed values: {", ".join(allowed)}.')
    lighting_entry = _vocabulary_entry("lighting", lighting)
    mood_entry = _vocabulary_entry("moods", mood)
    quality_entry = _vocabulary_entry("quality", quality)
    camera_entry = _vocabulary_entry("camera", camera) if camera else {"tags": []}

    subject = base_prompt.strip()
    used = keys(split_tags(subject))
    before, after = [], []
    if add_style_tags:
        before, subject, after = _style_parts(style_def.template, subject)
        before = unique(before, exclude=used)
        after = unique(after, exclude=used | keys(before))
    style_tags = before + after
    used |= keys(style_tags)

    added = {}
    for kind, entry in (("camera", camera_entry), ("lighting", lighting_entry), ("mood", mood_entry), ("quality", quality_entry)):
        added[kind] = unique(entry["tags"], exclude=used)
        used |= keys(added[kind])

    negative = []
    if add_negative:
        negative = unique(split_tags(style_def.negative) + split_tags(quality_entry["negative"]))

    # Details (from the LLM) describe the subject, so they follow it, deduplicated like tags.
    detail_tags = unique(list(details), exclude=used)
    used |= keys(detail_tags)
    parts = before + [subject] + detail_tags + after + added["camera"] + added["lighting"] + added["mood"] + added["quality"]
    return {
        "original_prompt": base_prompt,
        "enhanced_prompt": ", ".join(parts),
        "negative_prompt": ", ".join(negative),
        "style_tags": style_tags,
        "lighting_tags": added["lighting"],
        "mood_tags": added["mood"],
        "quality_tags": added["quality"],
        "camera_tags": added["camera"],
        "detail_tags": detail_tags,
        "settings": dict(quality_entry["settings"]),
    }


DETAILS_SCHEMA = {
    "type": "object",
    "properties": {
        "details": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_DETAILS},
    },
    "required": ["details"],
    "additionalProperties": False,
}
DETAILS_SYSTEM = (
    "You enrich prompts for an image generator (Stable Diffusion / ComfyUI). Given a subject, answer with "
    f"1 to {MAX_DETAILS} short visual details (a few words each: materials, colours, setting, composition) that "
    "fit it. Do not repeat the subject, do not name an art style, lighting or quality terms. Answer in JSON."
)


def prompt_details(prompt: str, *, seed: int, checkpoint=None) -> list[str]:
    """Ask the configured LLM for visual details of the subject. The base prompt itself is
    never rewritten (it stays verbatim); the details are added as tags after it."""

    def validate(answer: dict[str, Any]) -> list[str]:
        details = answer.get("details")
        if not isinstance(details, list):
            raise ValueError('the answer has no "details" list')
        cleaned = [llm.strip_control(str(d)).strip().strip(",")[:DETAIL_MAX] for d in details]
        cleaned = [d for d in cleaned if d]
        if not cleaned:
            raise ValueError("the answer's details are empty")
        return cleaned[:MAX_DETAILS]

    return llm.chat_json(
        system=DETAILS_SYSTEM,
        user=f"Subject: {prompt}",
        schema=DETAILS_SCHEMA,
        schema_name="prompt_details",
        seed=seed,
        temperature=0.7,
        validate=validate,
        heartbeat=checkpoint,
    )


def enhance_request(*, params: dict[str, Any], owner=None, checkpoint=None) -> dict[str, Any]:
    """A prompt/enhance request: expand the base prompt into its variants and enhance each.

    The result has the single-prompt shape for the first variant; with variants > 1 it
    adds `variants`, one full result per variant. Each variant carries a seed (the request's
    seed + its index), reproducible and usable as the sampler seed."""
    provider = text_provider(params)
    count = params.get("variants", 1)
    seed = params.get("seed")
    if seed is None:
        seed = new_seed()
    try:
        prompts = expand(params["base_prompt"], count=count, seed=seed)
    except TemplateError as exc:
        raise PermanentError(str(exc)) from exc

    options = {key: params[key] for key in ("style", "lighting", "mood", "quality")}
    options.update(camera=params.get("camera"), add_negative=params.get("add_negative", True),
                   add_style_tags=params.get("add_style_tags", True))
    results = []
    for index, prompt in enumerate(prompts):
        details = prompt_details(prompt, seed=seed + index, checkpoint=checkpoint) if provider == "llm" else []
        result = enhance(base_prompt=prompt, owner=owner, details=details, **options)
        result.update(original_prompt=params["base_prompt"], expanded_prompt=prompt, seed=(seed + index) % (SEED_MAX + 1))
        results.append({"index": index, **result})
        # Between variants only: after the last one the job completes at once, and the
        # completion itself checks the claim, so a final checkpoint would be a wasted write.
        if checkpoint is not None and index + 1 < len(prompts):
            checkpoint(int(100 * (index + 1) / len(prompts)))

    first = {key: value for key, value in results[0].items() if key != "index"}
    first["provider"] = provider
    if count > 1:
        first["variants"] = results
    return first


@dataclass
class PromptArtifact:
    params: dict[str, Any]
    result: dict[str, Any]

    def save(self, job) -> dict[str, Any]:
        self.row(job).save(force_insert=True)
        return self.result

    def row(self, job):
        from automation.models import PromptEnhancement

        return PromptEnhancement(
            owner_id=job.owner_id,
            job=job,
            original_prompt=self.result["original_prompt"],
            enhanced_prompt=self.result["enhanced_prompt"],
            negative_prompt=self.result["negative_prompt"],
            style=self.params["style"],
            lighting=self.params["lighting"],
            mood=self.params["mood"],
            quality=self.params["quality"],
            camera=self.params.get("camera") or "",
            provider=self.result["provider"],
            variant_count=len(self.result.get("variants", [])) or 1,
            seed=self.result["seed"],
            result=self.result,
        )


def save_batch(done: list[tuple[Any, PromptArtifact]]) -> list[dict[str, Any]]:
    from automation.models import PromptEnhancement

    PromptEnhancement.objects.bulk_create(artifact.row(job) for job, artifact in done)
    return [artifact.result for _, artifact in done]


def run(ctx: JobContext) -> PromptArtifact:
    # The owner is read only if the style is one of theirs: most jobs use a catalog style.
    owner = SimpleLazyObject(lambda: ctx.job.owner)
    result = enhance_request(params=ctx.params, owner=owner, checkpoint=ctx.checkpoint)
    return PromptArtifact(params=ctx.params, result=result)


def cleanup(cutoff: datetime, batch_size: int) -> int:
    from automation.jobs import delete_in_batches
    from automation.models import PromptEnhancement

    return delete_in_batches(PromptEnhancement.objects.filter(created_at__lt=cutoff), batch_size=batch_size)


register(
    Generator(type="prompt", run=run, cleanup=cleanup, in_process=runs_text_in_process, save_batch=save_batch)
)
