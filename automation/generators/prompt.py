"""Prompt enhancement: base prompt + style, lighting, mood and quality -> prompt and negative."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from automation.catalog import prompt_catalog
from automation.generators import Generator, JobContext, register


def split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def unique(tags: list[str], *, exclude: set[str] = frozenset()) -> list[str]:
    """Tags in first-seen order, without repeats (case-insensitive) or excluded ones."""
    seen = {tag.lower() for tag in exclude}
    kept = []
    for tag in tags:
        if tag.lower() not in seen:
            seen.add(tag.lower())
            kept.append(tag)
    return kept


def enhance(*, base_prompt: str, style: str, lighting: str, mood: str, quality: str) -> dict[str, Any]:
    catalog = prompt_catalog()
    style_entry = catalog["styles"][style]
    quality_entry = catalog["quality"][quality]
    before, _, after = style_entry["template"].partition("{prompt}")
    style_tags = unique(split_tags(before) + split_tags(after))
    lighting_tags = unique(catalog["lighting"][lighting]["tags"], exclude=set(style_tags))
    mood_tags = unique(catalog["moods"][mood]["tags"], exclude=set(style_tags + lighting_tags))
    quality_tags = unique(quality_entry["tags"], exclude=set(style_tags + lighting_tags + mood_tags))
    # The base prompt stays verbatim, in the place the style template gives it.
    parts = split_tags(before) + [base_prompt.strip()] + unique(split_tags(after)) + lighting_tags + mood_tags + quality_tags
    negative = unique(split_tags(style_entry["negative"]) + split_tags(quality_entry["negative"]))
    return {
        "original_prompt": base_prompt,
        "enhanced_prompt": ", ".join(parts),
        "negative_prompt": ", ".join(negative),
        "style_tags": style_tags,
        "lighting_tags": lighting_tags,
        "mood_tags": mood_tags,
        "quality_tags": quality_tags,
        "settings": quality_entry["settings"],
    }


@dataclass
class PromptArtifact:
    params: dict[str, Any]
    result: dict[str, Any]

    def save(self, job) -> dict[str, Any]:
        from automation.models import PromptEnhancement

        PromptEnhancement.objects.create(
            owner_id=job.owner_id,
            job=job,
            original_prompt=self.result["original_prompt"],
            enhanced_prompt=self.result["enhanced_prompt"],
            negative_prompt=self.result["negative_prompt"],
            style=self.params["style"],
            lighting=self.params["lighting"],
            mood=self.params["mood"],
            quality=self.params["quality"],
            result=self.result,
        )
        return self.result


def run(ctx: JobContext) -> PromptArtifact:
    params = ctx.params
    result = enhance(
        base_prompt=params["base_prompt"],
        style=params["style"],
        lighting=params["lighting"],
        mood=params["mood"],
        quality=params["quality"],
    )
    return PromptArtifact(params=params, result=result)


def cleanup(cutoff: datetime, batch_size: int) -> int:
    from automation.jobs import delete_in_batches
    from automation.models import PromptEnhancement

    return delete_in_batches(PromptEnhancement.objects.filter(created_at__lt=cutoff), batch_size=batch_size)


register(Generator(type="prompt", run=run, cleanup=cleanup))
