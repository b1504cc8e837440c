"""The built-in writer: offline, and the same dialogue for the same seed.

It writes the plan (dialogue_plan) line by line. For each line it takes the speaker's
archetype's frames in the dialogue's language (dialogue_frames) for the line's move and
keeps those whose conditions the scene meets: the speaker's traits, the register, the
dialogue type, the addressee's archetype, the mood, a shared past (never between the
strangers of an intro), the facts the frame names (a place, an hour, a gender), and the
topic of the question it answers. The most specific of them are the likeliest: each
condition a frame states and the scene meets doubles its weight. A frame is used once per
dialogue; the context comes back at least every fourth line when the scene has one; the
listener's name is not repeated line after line.
"""
import random
import re
from typing import Any

from automation.catalog import dialogue_catalog, dialogue_directions
from automation.generators.dialogue_frames import Frame, catalog, render_text, tidy
from automation.generators.dialogue_plan import DEMANDING, Speaker, Turn
from automation.generators.dialogue_slots import Scene, person, scene_for

CONTEXT_EVERY = 4  # at least one line in this many refers to the scene's context
SPECIFICITY = 1.7  # a frame's weight for each condition it states and the scene meets
CONTEXT_DUE_BOOST = 4  # how much likelier a line naming the context is when none did for a while
# What says a line when the archetype has no unused frame left for its move. A fallback
# keeps the plan's promise: a line that demands a reply (ask, challenge, threaten, plead)
# is replaced only by another of its kind, and a line that demands none never by one that does.
FALLBACK_MOVES = {
    "answer": ["deflect", "share"],
    "deflect": ["answer"],
    "retort": ["concede", "share"],
    "concede": ["answer", "share"],
    "comfort": ["share", "concede"],
    "joke": ["share", "retort"],
    "greet": ["introduce"],
    "introduce": ["greet", "share"],
    "reveal": ["share", "answer"],
    "decide": ["share", "reflect"],
    "farewell": ["decide"],
    "observe": ["share", "reflect"],
    "share": ["observe", "reveal"],
    "reflect": ["share", "observe"],
    "challenge": ["threaten"],
    "threaten": ["challenge"],
    "plead": ["ask"],
    "ask": ["plead"],
    "think": ["reflect"],
}
# Before a frame is said twice in a scene, a line that demands no reply may be any of these.
LAST_RESORT = ["share", "observe", "reflect", "reveal", "decide"]
DIRECTION_WORDS = {
    "en": {"thought": "inner voice, unspoken", "cut": "cut off", "nervous": "nervous"},
    "fr": {"thought": "voix intérieure", "cut": "coupé net", "nervous": "d'une voix tendue"},
}


def frame_capacity(language: str, dialogue_type: str):
    """How many lines of a move the writer has for a speaker in this type of dialogue (the
    plan's `capacity`): the frames of the move that fit the speaker's traits and the type."""

    def capacity(speaker: Speaker, move: str) -> int:
        return sum(
            frame.move == move
            and frame.fits(speaker.traits)
            and (not frame.types or dialogue_type in frame.types)
            and not (frame.past and dialogue_type == "intro")
            for frame in catalog(language, speaker.archetype)
        )

    return capacity


class NoFrame(LookupError):
    """No frame of this archetype can say this line in this language."""


def write_dialogue(
    *,
    speakers: list[Speaker],
    turns: list[Turn],
    context: dict[str, Any],
    dialogue_type: str,
    rng: random.Random,
    language: str = "en",
    title: str = "",
) -> dict[str, Any]:
    """Write every planned turn; returns {"title", "lines"} in the API's line shape (docs/dialogue.md)
    (plus each line's `frame` id, which the caller does not store)."""
    scene = scene_for(context, language)
    people = [person(speaker.name, speaker.pronouns, language) for speaker in speakers]
    mood = context.get("mood") or "neutral"
    used: set[str] = set()
    written: list[Frame] = []
    lines: list[dict[str, Any]] = []
    last_gesture: dict[int, str] = {}
    for index, turn in enumerate(turns):
        speaker = speakers[turn.speaker]
        slots = scene.with_people(people[turn.speaker], people[turn.listener] if turn.listener is not None else None)
        # An answer answers the question as it was written (its frame's topic).
        asked = written[turn.replies_to] if turn.replies_to is not None else None
        frame, text = choose_frame(
            speaker=speaker,
            turn=turn,
            replies=dialogue_catalog()["moves"][asked.move]["replies"] if asked is not None else [],
            topic=asked.topic if asked is not None and asked.topic else turn.topic,
            addressee=speakers[turn.listener] if turn.listener is not None else None,
            slots=slots,
            scene=scene,
            dialogue_type=dialogue_type,
            mood=mood,
            used=used,
            may_ask=any(later.replies_to == index for later in turns[index + 1 : index + 3]),
            wants_context=_context_due(lines, scene),
            recent_names=[line["dialogue"] for line in lines[-2:]],
            language=language,
            rng=rng,
        )
        used.add(frame.id)
        written.append(frame)
        text = _deliver(text, turn, speaker, speakers, language, rng)
        gesture = ""
        directions = dialogue_directions(language, speaker.archetype)
        if not turn.is_thought and rng.random() < 0.6:
            gesture = rng.choice(directions["gestures"][turn.register])
            if gesture == last_gesture.get(turn.speaker):
                gesture = ""
            last_gesture[turn.speaker] = gesture
        lines.append(
            {
                "line_id": f"line_{index + 1:03d}",
                "character_id": speaker.character_id,
                "character_name": speaker.name,
                "dialogue": text,
                "emotion": emotion_for(frame.move, turn, speaker, mood, rng),
                "is_thought": turn.is_thought,
                "gesture": gesture,
                "voice_direction": _direction(turn, speaker, directions, language, rng),
                "beat": turn.beat,
                "move": frame.move,
                "addressee": speakers[turn.listener].character_id if turn.listener is not None else "",
                "frame": frame.id,
                "refers_to_context": frame.refers_to_context,
            }
        )
    for line in lines:
        line.pop("refers_to_context")
    return {"title": title or scene_title(dialogue_type, scene, language, rng), "lines": lines}


def _context_due(lines: list[dict[str, Any]], scene: Scene) -> bool:
    if not scene.context:
        return False
    recent = lines[-(CONTEXT_EVERY - 1):]
    return not lines or (len(recent) == CONTEXT_EVERY - 1 and not any(line["refers_to_context"] for line in recent))


def choose_frame(
    *,
    speaker: Speaker,
    turn: Turn,
    replies: list[str],
    topic: str,
    addressee: Speaker | None,
    slots,
    scene: Scene,
    dialogue_type: str,
    mood: str,
    used: set[str],
    may_ask: bool,
    wants_context: bool,
    recent_names: list[str],
    language: str,
    rng: random.Random,
) -> tuple[Frame, str]:
    """The frame for this line and its text: the planned move first, then (for a reply) the
    other replies the line answered allows, then the move's fallbacks; a frame already used
    in the dialogue only when nothing else can say the line."""
    frames = catalog(language, speaker.archetype)
    planned = [turn.move] if not replies or turn.move in replies else []
    moves = list(dict.fromkeys([*planned, *replies, *FALLBACK_MOVES.get(turn.move, [])]))
    if turn.move not in DEMANDING:
        moves += [move for move in LAST_RESORT if move not in moves]
    for allow_used in (False, True):
        for move in moves:
            options = []
            for frame in frames:
                if frame.move != move or (frame.id in used and not allow_used):
                    continue
                weight = _weight(frame, speaker, turn, addressee, dialogue_type, mood, may_ask, wants_context, recent_names, topic)
                if weight <= 0:
                    continue
                text = frame.render(slots)
                if text is not None:
                    options.append((frame, text, weight))
            if move == "answer" and topic:
                # An answer to the question as it was asked, when the archetype has one left.
                options = [option for option in options if option[0].topic == topic] or options
            if options:
                frame, text, _ = rng.choices(options, weights=[weight for _, _, weight in options])[0]
                return frame, text
    raise NoFrame(f"The {speaker.archetype} frames ({language}) have nothing for a {turn.move!r} line.")


def _weight(frame, speaker, turn, addressee, dialogue_type, mood, may_ask, wants_context, recent_names, topic) -> float:
    """0 when the frame does not fit the line; else 2 to the number of its conditions met."""
    if not frame.fits(speaker.traits):
        return 0
    if frame.types and dialogue_type not in frame.types:
        return 0
    if frame.to and (addressee is None or addressee.archetype not in frame.to):
        return 0
    if frame.moods and mood not in frame.moods:
        return 0
    if frame.past and dialogue_type == "intro":
        return 0
    if "listener" in frame.slots and addressee is None:
        return 0
    if frame.text.rstrip().endswith("?") and turn.listener is not None and not may_ask:
        return 0  # a question put to someone who will not answer it
    # A trait the speaker has at the frame's end counts for the frame; one the speaker has
    # only in the middle of the scale counts against it.
    met = 2 * frame.marked_traits(speaker.traits) - len(frame.traits) + (frame.register == turn.register) + bool(frame.types) + bool(frame.to) + bool(frame.moods)
    met += bool(frame.context_slots)
    if frame.topic and frame.topic == topic:
        met += 1
    if frame.move == "introduce" and "self" in frame.slots:
        met += 1
    weight = SPECIFICITY**met
    if frame.register and frame.register != turn.register:
        weight *= 0.05  # a calm line said in anger reads oddly, but better than a line said twice
    if wants_context and frame.refers_to_context:
        weight *= CONTEXT_DUE_BOOST
    if "listener" in frame.slots and re.search(r"\{listener", frame.text):
        named = addressee is not None and any(addressee.name in text for text in recent_names)
        weight *= 0.1 if named else 0.5
    return weight


def emotion_for(move: str, turn: Turn, speaker: Speaker, mood: str, rng: random.Random) -> str:
    """The move's emotion in the line's register, coloured by the speaker's nerves and the mood."""
    catalog_data = dialogue_catalog()
    if speaker.trait("anxiety") >= 0.75 and move in ("ask", "answer", "plead", "concede", "deflect", "think"):
        return "anxious"
    mood_emotions = catalog_data["moods"].get(mood, {}).get("emotions") or []
    if mood_emotions and move in ("observe", "share", "reflect", "think") and rng.random() < 0.4:
        return rng.choice(mood_emotions)
    return rng.choice(catalog_data["moves"][move]["emotions"][turn.register])


def _deliver(text: str, turn: Turn, speaker: Speaker, speakers: list[Speaker], language: str, rng: random.Random) -> str:
    """The line as it is spoken: shouted at the peak, stammered by an anxious speaker, cut
    off by the next speaker, or barging in on the previous one."""
    if turn.intensity >= 0.9 and text.endswith(".") and not turn.is_thought:
        text = tidy(text[:-1] + "!", language)
    if speaker.trait("anxiety") >= 0.75 and not turn.is_thought and rng.random() < 0.5:
        text = _stammer(text, {s.name for s in speakers}, language)
    if turn.interrupted:
        text = _cut_off(text, language, rng)
    if turn.interrupts:
        interjections = [frame for frame in catalog(language, speaker.archetype) if frame.move == "interject"]
        opener = render_text(rng.choice(interjections).text, {}, language) if interjections else ""
        if opener and not opener.endswith(("—", "…")):
            opener = opener.rstrip(".") if opener.endswith(".") else opener
        text = f"{opener} {text}".strip()
    return text


def _stammer(text: str, names: set[str], language: str) -> str:
    """An anxious speaker trips over the first word: "You— you think so?", "Je… je crois."."""
    first, _, rest = text.partition(" ")
    bare = first.rstrip(",.!?\u202f")
    if not bare or not bare[0].isalpha() or not rest:
        return text
    again = first if bare == "I" or bare in names else first[0].lower() + first[1:]
    joiner = "…" if language == "fr" else "—"
    return f"{bare}{joiner} {again} {rest}"


def _cut_off(text: str, language: str, rng: random.Random) -> str:
    words = text.split()
    end = "…" if language == "fr" else "—"
    if len(words) <= 3:
        return text.rstrip(".!?,;:\u202f") + end
    keep = max(2, int(len(words) * rng.uniform(0.4, 0.7)))
    return " ".join(words[:keep]).rstrip(".!?,;:\u202f") + end


def _direction(turn: Turn, speaker: Speaker, directions: dict, language: str, rng: random.Random) -> str:
    words = DIRECTION_WORDS[language]
    if turn.is_thought:
        return words["thought"]
    direction = rng.choice(directions["delivery"][turn.register])
    if turn.interrupted:
        direction += ", " + words["cut"]
    if speaker.trait("anxiety") >= 0.75:
        direction += ", " + words["nervous"]
    return direction


def scene_title(dialogue_type: str, scene: Scene, language: str, rng: random.Random) -> str:
    """A title from the type's list in the dialogue's language, naming the place when there
    is one, else the hour, else none."""
    options = dialogue_catalog()["dialogue_types"][dialogue_type]["titles"][language]
    slots = dict(scene.context)
    for needs in ("place", "time", None):
        usable = [option for option in options if (f"{{{needs}" in option if needs else "{" not in option)]
        if usable and (needs is None or needs in slots):
            title = render_text(rng.choice(usable), slots, language)
            if title is not None:
                return title.rstrip(".")
    return dialogue_catalog()["dialogue_types"][dialogue_type]["label"]
