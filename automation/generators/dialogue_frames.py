"""Frames: the built-in writer's lines, one archetype and one language a file
(catalog/data/frames/<language>/<archetype>.json), each stating the facts it needs.

A frame is a rule of a contextual-dialogue database: its `move` (what the line does), its
`text` (with `{slot}` facts and `[slot:a|b]` agreement, see dialogue_slots), and optional
conditions: `topic` (what an `ask` asks and an `answer` answers), `traits`
({"courage": "high"}: never for a speaker at 0.4 or less, likeliest from 0.6; "low" the
other way round), `register` (`calm` or `heated`), `types` (the dialogue types it fits), `to` (the
archetypes it may be said to), `moods`, and `past: true` (the two characters know each
other: never in an intro). Every condition a frame states and the scene meets makes it
more specific, and the more specific a frame the likelier it is chosen (dialogue_writer).
"""
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from automation.catalog import archetype_voices, dialogue_catalog, dialogue_frames
from automation.generators.dialogue_slots import CONTEXT_SLOTS, LANGUAGES, PERSON_SLOTS, Phrase

SLOT = re.compile(r"\{(\w+)(?:\.(\w+))?\}")
AGREE = re.compile(r"\[(\w+):([^\[\]]*)\]")
FORMS = {
    "self": {"", "de", "que"},
    "listener": {"", "de", "que"},
    "place": {"", "à", "de", "ce"},
    "time": {"", "noun", "de"},
    "weather": {"", "noun", "de"},
    "situation": {"", "noun", "de"},
}
TRAIT_HIGH, TRAIT_LOW = 0.6, 0.4
NNBSP = "\u202f"  # French sets ? ! ; : apart with a narrow no-break space
# French that the slot forms write instead ("de {place}" would miss "du", "d'").
FR_NEEDS_FORM = re.compile(
    r"\b(?:(?:de|à|ce|du|au|le|la)\s+\{(?:place|time|weather|situation|listener|self)\}|que\s+\{(?:listener|self)\})",
    re.IGNORECASE,
)


class FrameError(ValueError):
    """A frame in the catalog is malformed; the message says which and why."""


@dataclass(frozen=True)
class Frame:
    id: str  # "<language>/<archetype>/<index>": stable while the file keeps its order
    archetype: str
    language: str
    move: str
    text: str
    traits: tuple[tuple[str, str], ...] = ()
    register: str = ""
    types: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    past: bool = False
    topic: str = ""  # what an `ask` asks about, what an `answer` answers (dialogue.json "topics")

    @property
    def slots(self) -> set[str]:
        return {name for name, _ in SLOT.findall(self.text)} | {name for name, _ in AGREE.findall(self.text)}

    @property
    def context_slots(self) -> set[str]:
        return self.slots & set(CONTEXT_SLOTS)

    @property
    def refers_to_context(self) -> bool:
        return bool(self.context_slots) or bool(self.moods)

    def fits(self, trait_scores: dict[str, float]) -> bool:
        """False when the speaker is at the other end of a trait the frame expresses (a
        `courage: high` line is never said by a speaker at 0.4 or less)."""
        for name, end in self.traits:
            score = trait_scores.get(name, 0.5)
            if (end == "high" and score <= TRAIT_LOW) or (end == "low" and score >= TRAIT_HIGH):
                return False
        return True

    def marked_traits(self, trait_scores: dict[str, float]) -> int:
        """How many of the frame's traits the speaker has at the frame's end of the scale
        (0.6 or more for "high", 0.4 or less for "low")."""
        return sum(
            (end == "high" and trait_scores.get(name, 0.5) >= TRAIT_HIGH)
            or (end == "low" and trait_scores.get(name, 0.5) <= TRAIT_LOW)
            for name, end in self.traits
        )

    def render(self, slots: dict[str, Phrase]) -> str | None:
        return render_text(self.text, slots, self.language)


def render_text(text: str, slots: dict[str, Phrase], language: str) -> str | None:
    """The text with the scene's facts, or None when a fact is missing or a needed gender is
    unknown. User text is put in last, in one pass: it is never read as frame syntax."""
    failed = False

    def agree(match: re.Match) -> str:
        nonlocal failed
        phrase = slots.get(match.group(1))
        chosen = phrase.agreement(match.group(2).split("|")) if phrase else None
        if chosen is None:
            failed = True
            return ""
        return chosen

    text = AGREE.sub(agree, text)
    if failed:
        return None

    def value(match: re.Match) -> str:
        nonlocal failed
        phrase = slots.get(match.group(1))
        form = phrase.form(match.group(2) or "") if phrase else None
        if form is None:
            failed = True
            return ""
        return form

    text = SLOT.sub(value, text)
    return None if failed else tidy(text, language)


def tidy(text: str, language: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.!?;:…])", r"\1", text)
    # A new sentence starts with a capital; a trailing-off "..." or "…" goes on in lower case.
    text = re.sub(r"((?<![.…])[.!?]\s+)([a-zà-ÿ])", lambda m: m.group(1) + m.group(2).upper(), text)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?…—":
        text += "."
    if language == "fr":
        text = text.replace("'", "’")
        text = re.sub(r"\s*([?!;:])", NNBSP + r"\1", text)
        text = re.sub(NNBSP + r"([?!;:])" + NNBSP + r"([?!])", NNBSP + r"\1\2", text)
    return text


@cache
def catalog(language: str, archetype: str) -> tuple[Frame, ...]:
    return tuple(
        parse(entry, archetype=archetype, language=language, index=index)
        for index, entry in enumerate(dialogue_frames(language, archetype))
    )


def parse(entry: dict[str, Any], *, archetype: str, language: str, index: int) -> Frame:
    """One frame from its JSON, or FrameError naming what is wrong."""
    where = f"frames/{language}/{archetype}.json, frame {index} ({entry.get('text', '')!r})"
    known = {"move", "text", "traits", "register", "types", "to", "moods", "past", "topic"}
    if set(entry) - known:
        raise FrameError(f"{where}: unknown keys {sorted(set(entry) - known)}")
    catalog_data = dialogue_catalog()
    move, text = entry.get("move"), entry.get("text")
    if move not in catalog_data["moves"]:
        raise FrameError(f"{where}: move {move!r} is not one of {', '.join(catalog_data['moves'])}")
    if not isinstance(text, str) or not text.strip():
        raise FrameError(f"{where}: no text")
    for name, form in SLOT.findall(text):
        if name not in FORMS or form not in FORMS[name]:
            raise FrameError(f"{where}: {{{name}{'.' + form if form else ''}}} is not a slot")
    for name, options in AGREE.findall(text):
        count = len(options.split("|"))
        allowed = (2,) if name in PERSON_SLOTS else (2, 4)
        if name not in FORMS or count not in allowed:
            raise FrameError(f"{where}: [{name}:{options}] needs {' or '.join(map(str, allowed))} choices")
    if re.search(r"[{}\[\]<>#]", SLOT.sub("", AGREE.sub("", text))):
        raise FrameError(f"{where}: a stray bracket or symbol")
    if language == "fr" and FR_NEEDS_FORM.search(text):
        raise FrameError(f"{where}: write {{slot.de}}, {{slot.à}}, {{slot.ce}} or {{slot.que}}, not {FR_NEEDS_FORM.search(text).group(0)!r}")
    traits = entry.get("traits") or {}
    for name, end in traits.items():
        if name not in catalog_data["traits"] or end not in ("high", "low"):
            raise FrameError(f"{where}: trait {name!r}: {end!r} (a trait of the catalog, 'high' or 'low')")
    if entry.get("register", "") not in ("", "calm", "heated"):
        raise FrameError(f"{where}: register is 'calm' or 'heated'")
    for key, allowed in (("types", catalog_data["dialogue_types"]), ("to", archetype_voices()), ("moods", catalog_data["moods"])):
        unknown = set(entry.get(key) or []) - set(allowed)
        if unknown:
            raise FrameError(f"{where}: {key} {sorted(unknown)} unknown")
    topic = entry.get("topic", "")
    if move in ("ask", "answer") and topic not in catalog_data["topics"]:
        raise FrameError(f"{where}: an {move} frame needs a topic: {', '.join(catalog_data['topics'])}")
    if move not in ("ask", "answer") and topic:
        raise FrameError(f"{where}: only ask and answer frames have a topic")
    if language not in LANGUAGES:
        raise FrameError(f"{where}: language {language!r}")
    return Frame(
        id=f"{language}/{archetype}/{index}",
        archetype=archetype,
        language=language,
        move=move,
        text=text,
        traits=tuple(sorted(traits.items())),
        register=entry.get("register", ""),
        types=tuple(entry.get("types") or ()),
        to=tuple(entry.get("to") or ()),
        moods=tuple(entry.get("moods") or ()),
        past=bool(entry.get("past")),
        topic=topic,
    )
