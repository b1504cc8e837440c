"""Dialogue generation: plan the scene, have a text provider write it, store it.

The provider is the request's `provider`, else settings.STORYCORE_TEXT_PROVIDER:
`builtin` (the offline writer) or `llm` (an OpenAI-compatible server).
"""
import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from automation.generators import Generator, JobContext, register, runs_text_in_process, text_provider
from automation.generators.dialogue_llm import write_with_llm
from automation.generators.dialogue_plan import plan_dialogue, speaker_from_params
from automation.generators.dialogue_slots import scene_for
from automation.generators.dialogue_writer import frame_capacity, scene_title, write_dialogue

SEED_MAX = 2**32 - 1


def job_seed(job) -> int:
    """A request without a seed gets one from its job id: each job differs, and retries of
    the same job write the same dialogue."""
    return job.job_id.int % (SEED_MAX + 1)


@dataclass
class DialogueArtifact:
    params: dict[str, Any]
    written: dict[str, Any]
    seed: int
    provider: str

    def save(self, job) -> dict[str, Any]:
        return save_batch([(job, self)])[0]

    def rows(self, job, cast: dict) -> tuple[Any, list[Any]]:
        """The dialogue and its lines, unsaved; `cast` maps (owner id, character id) to a
        stored character (lines link to the speaker's row when it exists)."""
        from automation.models import Dialogue, DialogueLine

        params = self.params
        context = params.get("context") or {}
        dialogue = Dialogue(
            scene_id=uuid.uuid4(),
            owner_id=job.owner_id,
            job=job,
            title=self.written["title"],
            context=context,
            characters=params["characters"],
            dialogue_type=params["dialogue_type"],
            template=params["template"],
            mood=context.get("mood") or "neutral",
            seed=self.seed,
            provider=self.provider,
            language=params.get("language") or "en",
        )
        lines = [
            DialogueLine(
                dialogue=dialogue,
                order=number,
                character=cast.get((job.owner_id, line["character_id"])),
                character_key=line["character_id"],
                character_name=line["character_name"],
                text=line["dialogue"],
                emotion=line["emotion"],
                is_thought=line["is_thought"],
                gesture=line["gesture"],
                voice_direction=line["voice_direction"],
                beat=line["beat"],
                move=line.get("move", ""),
                addressee_key=line.get("addressee", ""),
            )
            for number, line in enumerate(self.written["lines"], start=1)
        ]
        return dialogue, lines


def save_batch(done: list[tuple[Any, DialogueArtifact]]) -> list[dict[str, Any]]:
    """Store the dialogues of several jobs: one read of their casts, two bulk INSERTs."""
    from automation.models import Character, Dialogue, DialogueLine

    owners = {job.owner_id for job, _ in done}
    ids = {character["character_id"] for _, artifact in done for character in artifact.params["characters"]}
    cast = {
        (character.owner_id, character.character_id): character
        for character in Character.objects.filter(owner_id__in=owners, character_id__in=ids)
    }
    scenes = [artifact.rows(job, cast) for job, artifact in done]
    Dialogue.objects.bulk_create(dialogue for dialogue, _ in scenes)
    DialogueLine.objects.bulk_create(line for _, lines in scenes for line in lines)
    return [dialogue.as_dict(lines) for dialogue, lines in scenes]


def run(ctx: JobContext) -> DialogueArtifact:
    params = ctx.params
    speakers = [speaker_from_params(character) for character in params["characters"]]
    context = params.get("context") or {}
    seed = params["seed"] if params.get("seed") is not None else job_seed(ctx.job)
    provider = text_provider(params)
    language = params.get("language") or "en"
    rng = random.Random(seed)
    turns = plan_dialogue(
        speakers,
        dialogue_type=params["dialogue_type"],
        template=params["template"],
        num_lines=params["num_lines"],
        mood=context.get("mood") or "neutral",
        rng=rng,
        capacity=None if provider == "llm" else frame_capacity(language, params["dialogue_type"]),
    )
    ctx.checkpoint(10)
    if provider == "llm":
        # Each attempt of the job asks with its own seed: a deterministic server would
        # otherwise send the same unusable answer back on every retry.
        attempt = max(0, ctx.job.attempt_count - 1)
        written = write_with_llm(
            speakers=speakers,
            given_traits=[character.get("personality_traits") or {} for character in params["characters"]],
            turns=turns,
            context=context,
            dialogue_type=params["dialogue_type"],
            template=params["template"],
            seed=(seed + 1009 * attempt) % (SEED_MAX + 1),
            title=params.get("title") or "",
            language=language,
            heartbeat=ctx.checkpoint,
        )
        written["title"] = (
            params.get("title")
            or written["title"]
            or scene_title(params["dialogue_type"], scene_for(context, language), language, rng)
        )
    else:
        written = write_dialogue(
            speakers=speakers,
            turns=turns,
            context=context,
            dialogue_type=params["dialogue_type"],
            rng=rng,
            language=language,
            title=params.get("title") or "",
        )
    ctx.checkpoint(90)
    return DialogueArtifact(params=params, written=written, seed=seed, provider=provider)


def cleanup(cutoff: datetime, batch_size: int) -> int:
    from automation.jobs import delete_in_batches
    from automation.models import Dialogue

    return delete_in_batches(Dialogue.objects.filter(created_at__lt=cutoff), batch_size=batch_size)


register(
    Generator(type="dialogue", run=run, cleanup=cleanup, in_process=runs_text_in_process, save_batch=save_batch)
)
