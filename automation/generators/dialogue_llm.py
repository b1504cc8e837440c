"""The `llm` text provider for dialogues: the same plan as the built-in writer, written by
an OpenAI-compatible server, checked line by line before anything is stored."""
import json
import re
from typing import Any

from automation.catalog import archetype_voices, dialogue_catalog
from automation.generators.dialogue_plan import Speaker, Turn
from automation.providers import llm

TEXT_MAX = 2000
SHORT_MAX = 255
LINE_MAX = 400  # characters of a line's text the schema allows: a line, not a page
TOKENS_PER_LINE = 160  # a line's JSON object (text, emotion, gesture, direction) with room to spare
TOKENS_OVERHEAD = 120  # the title and the braces
LANGUAGE_NAMES = {"en": "English", "fr": "French (français)"}
# Function words that tell English from French in a few lines of dialogue.
FUNCTION_WORDS = {
    "en": set("the and you is are was to of it that this what with not have my your we i me be will for but they".split()),
    "fr": set("le la les et tu est es sont de des du que qui ce cette je ne pas mon ton nous vous un une pour mais avec".split()),
}

SYSTEM = (
    "You are a screenwriter for story-driven games. You write dialogue lines that sound like the "
    "characters: their archetype, their personality traits and their way of speaking. Characters "
    "address each other by name. Follow the requested speaker order and arc beat by beat. "
    "Use each character's character_id exactly as given."
)


def dialogue_schema(*, character_ids: list[str], num_lines: int) -> dict[str, Any]:
    line = {
        "type": "object",
        "properties": {
            "character_id": {"type": "string", "enum": character_ids},
            "dialogue": {"type": "string", "maxLength": LINE_MAX},
            "emotion": {"type": "string", "maxLength": 40},
            "is_thought": {"type": "boolean"},
            "gesture": {"type": "string", "maxLength": 120},
            "voice_direction": {"type": "string", "maxLength": 120},
        },
        "required": ["character_id", "dialogue", "emotion", "is_thought", "gesture", "voice_direction"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 120},
            "lines": {"type": "array", "items": line, "minItems": num_lines, "maxItems": num_lines},
        },
        "required": ["title", "lines"],
        "additionalProperties": False,
    }


def _traits_in_words(given: dict[str, float]) -> str:
    # Only what the request said: the archetype's summary already carries its temperament.
    return ", ".join(f"{name} {score:.1f}" for name, score in sorted(given.items())) or "unspecified"


def max_tokens_for(num_lines: int) -> int:
    """The answer's bound: what the lines need, so a model that rambles stops early."""
    return TOKENS_OVERHEAD + TOKENS_PER_LINE * num_lines


def dialogue_prompt(
    *,
    speakers: list[Speaker],
    given_traits: list[dict],
    turns: list[Turn],
    context: dict,
    dialogue_type: str,
    template: str,
    title: str,
    language: str = "en",
) -> str:
    catalog = dialogue_catalog()
    voices = archetype_voices()
    cast = []
    for speaker, traits in zip(speakers, given_traits):
        entry = {
            "character_id": speaker.character_id,
            "name": speaker.name,
            "archetype": f"{speaker.archetype}: {voices[speaker.archetype]['summary']}",
            "role": speaker.role,
            "personality_traits (0 to 1)": _traits_in_words(traits),
        }
        if speaker.description:
            entry["description"] = speaker.description
        if speaker.speech_notes:
            entry["speech_notes"] = speaker.speech_notes
        if speaker.pronouns:
            entry["pronouns"] = speaker.pronouns
        cast.append(entry)
    plan = []
    for number, turn in enumerate(turns, start=1):
        step = f"{number}. {speakers[turn.speaker].character_id}"
        if turn.listener is not None and not turn.is_thought:
            step += f" to {speakers[turn.listener].name}"
        step += f", {turn.move}"
        if turn.replies_to is not None:
            step += f" (replying to line {turn.replies_to + 1})"
        if turn.topic:
            step += f" about {turn.topic}"
        step += f", beat {turn.beat}, intensity {turn.register}"
        if turn.is_thought:
            step += ", an unspoken thought (is_thought true)"
        if turn.interrupted:
            step += ", cut off mid-sentence, ending with a dash"
        if turn.interrupts:
            step += ", barging in"
        plan.append(step)
    request = {
        "characters": cast,
        "context": {key: value for key, value in context.items() if value},
        "dialogue_type": f"{dialogue_type}: {catalog['dialogue_types'][dialogue_type]['description']}",
        "turn_taking": f"{template}: {catalog['templates'][template]['description']}",
        "number_of_lines": len(turns),
        "language": f"write every line, the title, the gestures and directions in {LANGUAGE_NAMES[language]}",
    }
    if title:
        request["title"] = title
    return (
        "Write this scene as JSON: {\"title\": ..., \"lines\": [{\"character_id\", \"dialogue\", \"emotion\", "
        "\"is_thought\", \"gesture\", \"voice_direction\"}, ...]}, "
        f"in {LANGUAGE_NAMES[language]}. Each line answers the line it replies to.\n\n"
        f"Scene:\n{json.dumps(request, ensure_ascii=False, indent=2)}\n\n"
        f"Exactly {len(turns)} lines, in this order:\n" + "\n".join(plan)
    )


def language_problem(texts: list[str], language: str) -> str | None:
    """Why these lines are not in `language`, or None. Judged on function words: a few
    lines of dialogue hold dozens, and the two languages share almost none."""
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ']+", " ".join(texts).lower().replace("’", "'"))
    counts = {code: sum(word in vocabulary for word in words) for code, vocabulary in FUNCTION_WORDS.items()}
    other = max((code for code in counts if code != language), key=lambda code: counts[code])
    if counts[other] >= 6 and counts[other] > 2 * counts[language]:
        return f"the lines are in {LANGUAGE_NAMES[other]}, not in {LANGUAGE_NAMES[language]} as asked"
    return None


def clean_text(value: Any, *, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s+", " ", llm.strip_control(value)).strip()[:limit]


def check_answer(data: dict[str, Any], *, speakers: list[Speaker], turns: list[Turn], language: str = "en") -> dict[str, Any]:
    """The answer as stored lines, or ValueError saying what is wrong with it."""
    lines = data.get("lines")
    if not isinstance(lines, list):
        raise ValueError('the answer has no "lines" list')
    if len(lines) != len(turns):
        raise ValueError(f"asked for exactly {len(turns)} lines, got {len(lines)}")
    by_id = {speaker.character_id: speaker for speaker in speakers}
    by_name = {speaker.name.casefold(): speaker for speaker in speakers}
    cleaned = []
    for number, (line, turn) in enumerate(zip(lines, turns), start=1):
        if not isinstance(line, dict):
            raise ValueError(f"line {number} is not an object")
        who = line.get("character_id") or line.get("speaker") or line.get("character") or ""
        speaker = by_id.get(who) if isinstance(who, str) else None
        if speaker is None and isinstance(who, str):
            speaker = by_name.get(who.casefold())
        if speaker is None:
            raise ValueError(f"line {number} is spoken by {who!r}, who is not one of the characters asked for ({', '.join(by_id)})")
        text = clean_text(line.get("dialogue") or line.get("text") or line.get("line"), limit=TEXT_MAX)
        if not text:
            raise ValueError(f"line {number} has no text")
        cleaned.append(
            {
                "line_id": f"line_{number:03d}",
                "character_id": speaker.character_id,
                "character_name": speaker.name,
                "dialogue": text,
                "emotion": clean_text(line.get("emotion"), limit=64) or "neutral",
                "is_thought": line.get("is_thought") is True,
                "gesture": clean_text(line.get("gesture"), limit=SHORT_MAX),
                "voice_direction": clean_text(line.get("voice_direction"), limit=SHORT_MAX),
                "beat": turn.beat,
                "move": turn.move,
                "addressee": speakers[turn.listener].character_id if turn.listener is not None else "",
            }
        )
    problem = language_problem([line["dialogue"] for line in cleaned], language)
    if problem:
        raise ValueError(problem)
    return {"title": clean_text(data.get("title"), limit=200), "lines": cleaned}


def write_with_llm(
    *,
    speakers: list[Speaker],
    given_traits: list[dict],
    turns: list[Turn],
    context: dict[str, Any],
    dialogue_type: str,
    template: str,
    seed: int,
    title: str = "",
    language: str = "en",
    heartbeat=None,
) -> dict[str, Any]:
    ids = [speaker.character_id for speaker in speakers]
    return llm.chat_json(
        system=SYSTEM,
        user=dialogue_prompt(
            speakers=speakers,
            given_traits=given_traits,
            turns=turns,
            context=context,
            dialogue_type=dialogue_type,
            template=template,
            title=title,
            language=language,
        ),
        schema=dialogue_schema(character_ids=ids, num_lines=len(turns)),
        schema_name="dialogue",
        seed=seed,
        temperature=0.9,
        max_tokens=max_tokens_for(len(turns)),
        validate=lambda data: check_answer(data, speakers=speakers, turns=turns, language=language),
        heartbeat=heartbeat,
    )
