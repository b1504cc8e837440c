"""How bench.dialogue_quality calls the built-in writer: the generator's own plan and writer,
as a dialogue job runs them, without the database."""
import random

from automation.catalog import archetype_voices
from automation.generators.dialogue_frames import catalog
from automation.generators.dialogue_plan import plan_dialogue, speaker_from_params
from automation.generators.dialogue_slots import LANGUAGES
from automation.generators.dialogue_writer import frame_capacity, write_dialogue


def archetypes():
    return list(archetype_voices())


def languages_supported(language):
    return language in LANGUAGES


def generate(params, seed):
    speakers = [speaker_from_params(c) for c in params["characters"]]
    rng = random.Random(seed)
    context = params.get("context") or {}
    language = params.get("language", "en")
    turns = plan_dialogue(
        speakers,
        dialogue_type=params["dialogue_type"],
        template=params.get("template", "linear"),
        num_lines=params["num_lines"],
        mood=context.get("mood") or "neutral",
        rng=rng,
        capacity=frame_capacity(language, params["dialogue_type"]),
    )
    return write_dialogue(
        speakers=speakers, turns=turns, context=context, dialogue_type=params["dialogue_type"], rng=rng, language=language
    )["lines"]


def distinct_frames():
    return {
        archetype: {language: sum(f.move != "interject" for f in catalog(language, archetype)) for language in LANGUAGES}
        for archetype in archetypes()
    }
