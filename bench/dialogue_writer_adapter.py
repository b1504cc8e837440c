"""How bench.dialogue_quality calls the built-in writer (the writer before moves and frames:
an archetype's templates per beat, English only)."""
import random

from automation.catalog import archetype_voices
from automation.generators import dialogue_writer
from automation.generators.dialogue_plan import plan_dialogue, speaker_from_params

_used: list[str] = []
_expand = dialogue_writer.Voice.expand


def _recording_expand(self, text, register):
    _used.append(text.replace(" #tag#", ""))
    return _expand(self, text, register)


_line = dialogue_writer.Voice.line
_frames: list[str] = []


def _recording_line(self, beat, register, slots, said):
    text = _line(self, beat, register, slots, said)
    _frames.append(f"{self.archetype}:{beat}:{_used[-1]}")
    return text


dialogue_writer.Voice.expand = _recording_expand
dialogue_writer.Voice.line = _recording_line


def archetypes():
    return list(archetype_voices())


def languages_supported(language):
    return language == "en"


def generate(params, seed):
    speakers = [speaker_from_params(c) for c in params["characters"]]
    rng = random.Random(seed)
    context = params.get("context") or {}
    turns = plan_dialogue(speakers, dialogue_type=params["dialogue_type"], template=params.get("template", "linear"),
                          num_lines=params["num_lines"], mood=context.get("mood") or "neutral", rng=rng)
    del _frames[:]
    lines = dialogue_writer.write_dialogue(speakers=speakers, turns=turns, context=context,
                                           dialogue_type=params["dialogue_type"], rng=rng)["lines"]
    for line, turn, frame in zip(lines, turns, _frames):
        line["frame"] = frame
        line["addressee"] = speakers[turn.listener].character_id if turn.listener is not None and not turn.is_thought else ""
    return lines


def distinct_frames():
    return {a: {"en": sum(len(t) for m, t in v["moves"].items() if m != "interject"), "fr": 0} for a, v in archetype_voices().items()}
