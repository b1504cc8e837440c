"""The built-in writer: offline, and the same dialogue for the same seed.

Each archetype's voice (catalog/data/voices.json) holds its own lines for every beat of
an arc, written as small grammars: `{a|b}` picks one variant, `#rule#` expands one of
the voice's own rules (its openers, forms of address, pet words), and `<slot>` takes
the scene's facts (the listener's name, the place, the hour, the weather, the situation).
A speaker only ever draws from its own archetype's table. Rules with a `calm` and a
`heated` side follow the line's intensity, so a hot-tempered villain and a patient one
do not read alike.

The expander is hand-written rather than dynamicprompts: the grammar is scoped per voice
(a rule name resolves in the speaker's table only), every choice must come from one
`random.Random(seed)`, and user text (names, places) must never be parsed as grammar.
dynamicprompts' parser also rejects ordinary prose punctuation such as `%`.
"""
import random
import re
from typing import Any

from automation.catalog import archetype_voices, dialogue_catalog
from automation.generators.dialogue_plan import Speaker, Turn

VARIANT = re.compile(r"\{([^{}]*)\}")
RULE = re.compile(r"#(\w+)#")
SLOT = re.compile(r"<(\w+)>")
MAX_TRIES = 30  # re-draws to avoid repeating a line already said in this dialogue
DETERMINERS = ("a ", "an ", "the ", "this ", "that ", "these ", "those ", "my ", "our ", "your ", "their ", "his ", "her ")


class MissingSlot(Exception):
    """The line needs a fact the scene does not have (no location given, no listener)."""


def context_slots(context: dict[str, Any]) -> dict[str, str]:
    """Turn the request's context into phrases a line can use as they are."""
    phrases = dialogue_catalog()["context_phrases"]
    slots = {}
    if context.get("location"):
        slots["place"] = context["location"].strip()
    if context.get("time_of_day"):
        slots["when"] = _phrase(context["time_of_day"], phrases["time_of_day"], default="at {}", keep=("at ", "in ", "on ", "during ", "this ", "tonight", "today"))
    if context.get("weather"):
        slots["weather"] = _phrase(context["weather"], phrases["weather"], default="this {}", keep=DETERMINERS)
    if context.get("situation"):
        slots["situation"] = _phrase(context["situation"], phrases["situation"], default="this {}", keep=DETERMINERS)
    return slots


def _phrase(value: str, known: dict[str, str], *, default: str, keep: tuple[str, ...]) -> str:
    value = value.strip()
    lowered = value.lower()
    if lowered in known:
        return known[lowered]
    if lowered.startswith(keep):
        return value
    return default.format(value)


class Voice:
    """One archetype's table, drawn from with the dialogue's random generator."""

    def __init__(self, archetype: str, rng: random.Random):
        self.archetype = archetype
        self.table = archetype_voices()[archetype]
        self.rng = rng

    def pick(self, key: str, register: str) -> str:
        """One entry of a top-level table (emotions, gestures, delivery); `moves` takes a beat."""
        if key == "moves":
            return self.rng.choice(self.table["moves"][register])
        return self.rng.choice(self._side(self.table[key], register))

    def _side(self, entry, register: str) -> list[str]:
        return entry[register] if isinstance(entry, dict) else entry

    def expand(self, text: str, register: str) -> str:
        """Variants first (innermost out), then rules, which may hold variants of their own."""
        for _ in range(12):
            expanded = VARIANT.sub(lambda m: self.rng.choice(m.group(1).split("|")), text)
            expanded = RULE.sub(lambda m: self.rng.choice(self._rule(m.group(1), register)), expanded)
            if expanded == text:
                return text
            text = expanded
        return text

    def _rule(self, name: str, register: str) -> list[str]:
        return self._side(self.table["rules"][name], register)

    def line(self, beat: str, register: str, slots: dict[str, str], said: set[str]) -> str:
        """A line for this beat that was not said yet in this dialogue, if the table allows."""
        templates = self.table["moves"][beat]
        candidate = None
        for attempt in range(MAX_TRIES):
            template = self.rng.choice(templates)
            # A short tag of the voice's own ("Stay close.") now and then, and whenever
            # the plain lines run out, which keeps long dialogues from repeating.
            if beat != "thought" and (attempt >= MAX_TRIES // 3 or self.rng.random() < 0.25):
                template += " #tag#"
            try:
                text = tidy(fill(self.expand(template, register), slots))
            except MissingSlot:
                continue
            candidate = text
            if text.lower() not in said:
                return text
        if candidate is None:
            # Rare: every draw needed a missing fact. Walk the table in order instead.
            for template in templates:
                try:
                    return tidy(fill(self.expand(template, register), slots))
                except MissingSlot:
                    continue
            raise LookupError(f"The {self.archetype} voice has no {beat!r} line without {sorted(set(SLOT.findall(' '.join(templates))) - set(slots))}.")
        return candidate


def fill(text: str, slots: dict[str, str]) -> str:
    """Put the scene's facts in, in one pass, so user text is never expanded as grammar."""

    def value(match: re.Match) -> str:
        if match.group(1) not in slots:
            raise MissingSlot(match.group(1))
        return slots[match.group(1)]

    return SLOT.sub(value, text)


def tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"([!?])[.!]+", r"\1", text)
    text = re.sub(r"([.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?…—":
        text += "."
    return text


TRAIT_HIGH, TRAIT_LOW = 0.8, 0.2
ASIDE_CHANCE = 0.2


def trait_aside(speaker: Speaker, rng: random.Random) -> str | None:
    """Now and then a marked trait speaks up in an aside: a generous villain offers, a
    cowardly hero hesitates. Only traits at the ends of the scale (>= 0.8 or <= 0.2)."""
    marked = [
        (name, "high" if score >= TRAIT_HIGH else "low")
        for name, score in sorted(speaker.traits.items())
        if score >= TRAIT_HIGH or score <= TRAIT_LOW
    ]
    if not marked or rng.random() >= ASIDE_CHANCE:
        return None
    name, end = rng.choice(marked)
    return rng.choice(dialogue_catalog()["trait_asides"][name][end])


def _stammer(text: str, names: set[str]) -> str:
    """An anxious speaker trips over the first word: "You— you think so?"."""
    first, _, rest = text.partition(" ")
    bare = first.rstrip(",.!?")
    if not bare or not bare[0].isalpha():
        return text
    again = first if bare == "I" or bare in names else first[0].lower() + first[1:]
    return f"{bare}— {again} {rest}".strip()


def _cut_off(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) <= 3:
        return text.rstrip(".!?,;:") + "—"
    keep = max(2, int(len(words) * rng.uniform(0.4, 0.7)))
    return " ".join(words[:keep]).rstrip(".!?,;:") + "—"


def write_dialogue(
    *,
    speakers: list[Speaker],
    turns: list[Turn],
    context: dict[str, Any],
    dialogue_type: str,
    rng: random.Random,
    title: str = "",
) -> dict[str, Any]:
    """Write every planned turn; returns {"title", "lines"} in the DESIGN.md line shape."""
    voices = [Voice(speaker.archetype, rng) for speaker in speakers]
    scene = context_slots(context)
    mood = dialogue_catalog()["moods"].get(context.get("mood") or "neutral", {})
    said: set[str] = set()
    lines = []
    last_gesture: dict[int, str] = {}
    for index, turn in enumerate(turns):
        speaker, voice = speakers[turn.speaker], voices[turn.speaker]
        slots = {**scene, "self": speaker.name}
        if turn.listener is not None:
            slots["name"] = speakers[turn.listener].name
        beat = "thought" if turn.is_thought else turn.beat
        text = voice.line(beat, turn.register, slots, said)
        said.add(text.lower())
        aside = trait_aside(speaker, rng) if not turn.is_thought else None
        if aside:
            text = f"{text} {aside}"
        if turn.intensity >= 0.85 and text.endswith("."):
            text = text[:-1] + "!"
        if speaker.trait("anxiety") >= 0.75 and not turn.is_thought and rng.random() < 0.6:
            text = _stammer(text, {s.name for s in speakers})
        if turn.interrupted:
            text = _cut_off(text, rng)
        if turn.interrupts:
            text = f"{voice.pick('moves', 'interject')} {text}"

        emotion = voice.pick("emotions", turn.register)
        if mood.get("emotions") and rng.random() < 0.3:
            emotion = rng.choice(mood["emotions"])
        elif speaker.trait("anxiety") >= 0.75 and rng.random() < 0.4:
            emotion = "anxious"
        gesture = ""
        if not turn.is_thought and rng.random() < 0.6:
            gesture = voice.pick("gestures", turn.register)
            if gesture == last_gesture.get(turn.speaker):
                gesture = ""
            last_gesture[turn.speaker] = gesture
        if turn.is_thought:
            direction = "inner voice, unspoken"
        elif turn.interrupted:
            direction = f"{voice.pick('delivery', turn.register)}, cut off"
        else:
            direction = voice.pick("delivery", turn.register)
        if speaker.trait("anxiety") >= 0.75 and not turn.is_thought:
            direction += ", nervous"
        lines.append(
            {
                "line_id": f"line_{index + 1:03d}",
                "character_id": speaker.character_id,
                "character_name": speaker.name,
                "dialogue": text,
                "emotion": emotion,
                "is_thought": turn.is_thought,
                "gesture": gesture,
                "voice_direction": direction,
                "beat": turn.beat,
            }
        )
    return {"title": title or scene_title(dialogue_type, scene, rng), "lines": lines}


def scene_title(dialogue_type: str, scene: dict[str, str], rng: random.Random) -> str:
    """A title from the type's list, naming the place when there is one, else the hour."""
    options = dialogue_catalog()["dialogue_types"][dialogue_type]["titles"]
    for slot in ("place", "when", None):
        usable = [option for option in options if (f"<{slot}>" in option if slot else "<" not in option)]
        if usable and (slot is None or slot in scene):
            return tidy(fill(rng.choice(usable), scene)).rstrip(".")
    return dialogue_catalog()["dialogue_types"][dialogue_type]["label"]
