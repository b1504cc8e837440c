"""Prompt enhancement: base prompt + style, lighting, mood, camera and quality -> an
enhanced prompt and a negative prompt for ComfyUI / Stable Diffusion, with variants."""
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from automation.catalog import prompt_catalog
from automation.exceptions import PermanentError
from automation.generators import Generator, JobContext, register, runs_text_in_process, text_provider
from automation.generators.clip_tokens import WINDOW, count_tokens
from automation.generators.prompt_tags import content_words, forbids, keys, split_tags, tag_key, unique
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


# Which added tags survive a tight budget, most important first: the style's own tags
# before the base prompt, then the first tag of each choice the request made, then the rest.
RANK = {"style_before": 0, "lighting_first": 1, "mood_first": 2, "camera_first": 3, "style_after": 4,
        "details": 5, "lighting": 6, "mood": 7, "camera": 8, "quality": 9}  # fmt: skip
WINDOW_WARNING = (
    "The prompt is {count} CLIP tokens, past the 75 a text encoder reads at once: ComfyUI and "
    "Automatic1111 split it into windows and the later one weighs less. Shorten the base prompt or lower `detail`."
)


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
    detail: str = "standard",
    model_family: str | None = None,
    orientation: str | None = None,
) -> dict[str, Any]:
    """Enhance one base prompt (taken verbatim; no {a|b} expansion here).

    `style` may name a user style visible to `owner`. Added tags are kept within the
    `detail` level's budget of CLIP tokens, the least important dropped first; a tag that
    repeats a word of a more important one, or that the negative prompt forbids, is not
    added. An unknown name raises PermanentError listing the allowed values."""
    from automation.prompt_styles import find_style, style_names_for

    style_def = find_style(name=style, owner=owner)
    if style_def is None:
        allowed = style_names_for(owner) if owner is not None else list(prompt_catalog()["styles"])
        raise PermanentError(f'Unknown style "{style}". Allowed values: {", ".join(allowed)}.')
    lighting_entry = _vocabulary_entry("lighting", lighting)
    mood_entry = _vocabulary_entry("moods", mood)
    quality_entry = _vocabulary_entry("quality", quality)
    camera_entry = _vocabulary_entry("camera", camera) if camera else {"tags": []}
    budget = _vocabulary_entry("details", detail)["tokens"]
    family = model_family or settings.STORYCORE_MODEL_FAMILY
    family_entry = _vocabulary_entry("model_families", family)

    subject = base_prompt.strip()
    before, after = [], []
    if add_style_tags:
        before, subject, after = _style_parts(style_def.template, subject)
    negative = []
    if add_negative:
        # The style's own tags win over the quality level's generic negative: a long exposure
        # asks for motion blur, so "blurry" is not forbidden there.
        quality_negative = [tag for tag in split_tags(quality_entry["negative"]) if not any(forbids(tag, own) for own in before + after)]
        negative = unique(split_tags(style_def.negative) + quality_negative)

    candidates = [(RANK["style_before"], "style", tag) for tag in before]
    candidates += [(RANK["style_after"] + 0.01 * i, "style", tag) for i, tag in enumerate(after)]
    candidates += [(RANK["details"] + 0.01 * i, "detail", tag) for i, tag in enumerate(details)]
    for kind, entry in (("camera", camera_entry), ("lighting", lighting_entry), ("mood", mood_entry)):
        for i, tag in enumerate(entry["tags"]):
            candidates.append((RANK[f"{kind}_first"] if i == 0 else RANK[kind] + 0.01 * i, kind, tag))
    candidates += [(RANK["quality"] + 0.01 * i, "quality", tag) for i, tag in enumerate(quality_entry["tags"])]

    base_tokens = count_tokens(base_prompt.strip())
    # A template's words around the base prompt ("a photo of {prompt}") come out of the budget too.
    kept = _within_budget(sorted(candidates), subject=subject, negative=negative, budget=budget - (count_tokens(subject) - base_tokens))
    chosen = {kind: [tag for rank, tag_kind, tag in kept if tag_kind == kind] for kind in ("style", "detail", "camera", "lighting", "mood", "quality")}
    kept_style = set(chosen["style"])
    before_kept = [tag for tag in before if tag in kept_style]
    after_kept = [tag for tag in after if tag in kept_style]
    parts = before_kept + [subject] + chosen["detail"] + after_kept + chosen["camera"] + chosen["lighting"] + chosen["mood"] + chosen["quality"]
    enhanced = ", ".join(parts)
    token_count = count_tokens(enhanced)
    width, height = image_size(quality=quality, orientation=orientation or _orientation_of(base_prompt), model_family=family)
    return {
        "original_prompt": base_prompt,
        "enhanced_prompt": enhanced,
        "negative_prompt": ", ".join(negative),
        "style_tags": before_kept + after_kept,
        "lighting_tags": chosen["lighting"],
        "mood_tags": chosen["mood"],
        "quality_tags": chosen["quality"],
        "camera_tags": chosen["camera"],
        "detail_tags": chosen["detail"],
        "token_count": token_count,
        "tokens_added": token_count - base_tokens,
        "warnings": [WINDOW_WARNING.format(count=token_count)] if token_count > WINDOW else [],
        "model_family": family,
        "orientation": orientation or _orientation_of(base_prompt),
        "settings": {**family_entry["quality"][quality], "width": width, "height": height},
    }


def _within_budget(candidates, *, subject: str, negative: list[str], budget: int) -> list[tuple[float, str, str]]:
    """The candidates (rank, kind, tag), most important first, that fit `budget` tokens and
    say something new: not a repeat of the subject or of a kept tag, no word shared with a
    kept tag, nothing the negative prompt forbids."""
    taken_keys = keys(split_tags(subject))
    taken_words = set().union(*(content_words(tag) for tag in split_tags(subject)))
    kept, spent = [], 0
    for rank, kind, tag in candidates:
        words = content_words(tag)
        if tag_key(tag) in taken_keys or words & taken_words or any(forbids(no, tag) for no in negative):
            continue
        cost = count_tokens(tag) + 1  # and its comma
        if spent + cost > budget:
            continue
        kept.append((rank, kind, tag))
        spent += cost
        taken_keys.add(tag_key(tag))
        taken_words |= words
    return kept


def _orientation_of(base_prompt: str) -> str:
    """Portrait for a figure, landscape for a place, else square: what the subject suggests."""
    text = base_prompt.lower()
    for name in ("portrait", "landscape"):
        if any(re.search(rf"\b{re.escape(word)}\b", text) for word in prompt_catalog()["orientations"][name]["words"]):
            return name
    return "square"


def image_size(*, quality: str, orientation: str, model_family: str | None = None) -> tuple[int, int]:
    """A size the model family was trained at, in this orientation; cinematic frames wide
    whatever the subject, unless the request asks for portrait."""
    sizes = prompt_catalog()["model_families"][model_family or settings.STORYCORE_MODEL_FAMILY]["sizes"]
    name = "wide" if quality == "cinematic" and orientation != "portrait" else orientation
    width, height = sizes[name]
    return width, height


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
    options.update({key: params[key] for key in ("detail", "model_family", "orientation") if params.get(key)})
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
